"""How pages write times and audit events: Jinja filters, one way everywhere (the
``when`` macro in ``_time.html`` puts a time in its ``<time>`` element)."""

from __future__ import annotations

from datetime import UTC, datetime

from quart import Quart

from domain import audit

NBSP = "\u00a0"


def register_formats(app: Quart) -> None:
    app.jinja_env.filters["utc_iso"] = utc_iso
    app.jinja_env.filters["utc_text"] = utc_text
    app.jinja_env.filters["event_label"] = audit.label_of
    app.jinja_env.globals["EVENT_CHOICES"] = event_choices()


def utc_iso(moment: datetime) -> str:
    """The exact instant, for a ``<time datetime>``."""
    return _utc(moment).isoformat()


def utc_text(moment: datetime, seconds: bool = False) -> str:
    """``moment`` in UTC as a person reads it, "1 Dec 2026, 17:02 UTC"; a line may
    break after the comma only."""
    shown = _utc(moment).strftime(f"%-d %b %Y, %H:%M{':%S' if seconds else ''} UTC")
    return shown.replace(" ", NBSP).replace(f",{NBSP}", ", ")


def event_choices() -> list[tuple[str, str]]:
    """(type, label) of every event the trail records, by label: the event filter's list."""
    pairs = ((kind.__name__, label) for kind, label in audit.EVENT_LABELS.items())
    return sorted(pairs, key=lambda pair: pair[1])


def _utc(moment: datetime) -> datetime:
    """A naive time is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
