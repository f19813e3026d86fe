"""The results as tables (plain for the terminal, Markdown for the file) and the files
``bench/results/<date>.json`` and ``.md``."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import revocation
from bench.targets import ERRORS, REVOCATION, RSS, Figure, Summary

DATABASE_NAMES = {
    "sqlite": "SQLite",
    "postgresql": "PostgreSQL",
    "development": "development",
}


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    summary: Summary

    @property
    def database(self) -> str:
        head, slash, _ = self.key.partition("/")
        return DATABASE_NAMES.get(head, head) if slash else "-"


def render(headers: Sequence[str], lines: Sequence[Sequence[str]], *, markdown: bool) -> str:
    """A table: the first column left-aligned, the others right-aligned."""
    if markdown:
        rule = "|" + "|".join([":---", *["---:"] * (len(headers) - 1)]) + "|"
        body = ["| " + " | ".join(line) + " |" for line in [headers, *lines]]
        return "\n".join([body[0], rule, *body[1:]])
    widths = [max(len(line[i]) for line in [headers, *lines]) for i in range(len(headers))]

    def text(line: Sequence[str]) -> str:
        cells = [line[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(line[1:], widths[1:], strict=True)
        ]
        return "  ".join(cells).rstrip()

    return "\n".join([text(headers), "  ".join("-" * w for w in widths), *map(text, lines)])


def spread(low: float | None, high: float | None, form: str) -> str:
    """The lowest and highest of the runs, ``low–high``."""
    if low is None or high is None:
        return ""
    return f"{low:{form}}–{high:{form}}"


def scenario_table(rows: Sequence[Row], *, markdown: bool = False) -> str:
    headers = [
        "scenario",
        "database",
        "req/s",
        "req/s min–max",
        "p50 ms",
        "p99 ms",
        "p99 min–max",
        "errors",
        "sign-ins/s",
    ]
    lines = [
        [
            row.label,
            row.database,
            f"{row.summary.rps:,.0f}",
            spread(row.summary.rps_min, row.summary.rps_max, ",.0f"),
            f"{row.summary.p50_ms:.1f}",
            f"{row.summary.p99_ms:.1f}",
            spread(row.summary.p99_min_ms, row.summary.p99_max_ms, ".1f"),
            str(row.summary.errors),
            "" if row.summary.counted_per_s is None else f"{row.summary.counted_per_s:.1f}",
        ]
        for row in rows
    ]
    return render(headers, lines, markdown=markdown)


def shown(figure: Figure) -> str:
    if figure.value is None:
        return figure.verdict
    if figure.target is ERRORS:
        value = f"{figure.value:.0f}"
    elif figure.target in (RSS, REVOCATION):
        value = f"{figure.value:.1f}"
    else:
        value = f"{figure.value:.2f}"
    return f"{value} {figure.verdict}".rstrip()


def figures_table(by_database: Mapping[str, Sequence[Figure]], *, markdown: bool = False) -> str:
    """One line per figure: each database's value with pass/miss, then the target."""
    names = list(by_database)
    headers = ["figure", *(DATABASE_NAMES.get(n, n) for n in names), "target"]
    first = by_database[names[0]]
    lines = [
        [figure.target.label, *(shown(by_database[n][i]) for n in names), figure.target.text]
        for i, figure in enumerate(first)
    ]
    return render(headers, lines, markdown=markdown)


def revocation_table(windows: Mapping[str, revocation.Summary], *, markdown: bool = False) -> str:
    """One line per database: the window from a sign-out's answer on one process to
    the token's refusal on the other, and the answers it still got there meanwhile."""
    headers = [
        "database",
        "samples",
        "p50 ms",
        "p99 ms",
        "max ms",
        "stale answers",
        "cold",
        "sign-out p99 ms",
    ]
    lines = [
        [
            DATABASE_NAMES.get(name, name),
            str(found.samples),
            f"{found.p50_ms:.1f}",
            f"{found.p99_ms:.1f}",
            f"{found.max_ms:.1f}",
            str(found.stale),
            str(found.cold),
            f"{found.sign_out_p99_ms:.1f}",
        ]
        for name, found in windows.items()
    ]
    return render(headers, lines, markdown=markdown)


def figures_data(by_database: Mapping[str, Sequence[Figure]]) -> dict[str, list[dict[str, Any]]]:
    return {
        name: [
            {
                "figure": f.target.label,
                "value": None if f.value is None else round(f.value, 4),
                "target": f.target.text,
                "verdict": f.verdict,
            }
            for f in found
        ]
        for name, found in by_database.items()
    }


def write(folder: Path, stem: str, data: Mapping[str, Any], markdown: str) -> tuple[Path, Path]:
    """``<stem>.json`` and ``<stem>.md`` in ``folder``; never over an earlier run's."""
    folder.mkdir(parents=True, exist_ok=True)
    name, number = stem, 1
    while (folder / f"{name}.json").exists() or (folder / f"{name}.md").exists():
        number += 1
        name = f"{stem}-{number}"
    as_json, as_markdown = folder / f"{name}.json", folder / f"{name}.md"
    as_json.write_text(json.dumps(data, indent=2) + "\n", "utf-8")
    as_markdown.write_text(markdown, "utf-8")
    return as_json, as_markdown
