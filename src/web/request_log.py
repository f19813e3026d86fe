"""One log line per request, and the request's id on every line logged while it runs."""

from __future__ import annotations

import logging
import re
import time
import uuid
from contextvars import ContextVar
from typing import Any

from quart import Quart, Response, g, request

logger = logging.getLogger("gatehouse.request")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
HEADER = "X-Request-ID"
current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)
_base_factory = logging.getLogRecordFactory()


def _record_with_request_id(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _base_factory(*args, **kwargs)
    record.request_id = current_request_id.get() or "-"
    return record


def register_request_log(app: Quart) -> None:
    logging.setLogRecordFactory(_record_with_request_id)
    app.before_request(_start)
    app.after_request(_finish)


async def _start() -> None:
    offered = request.headers.get(HEADER, "")
    g.request_id = offered if _REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex
    current_request_id.set(g.request_id)
    g.started = time.perf_counter()


async def _finish(response: Response) -> Response:
    request_id = getattr(g, "request_id", None) or uuid.uuid4().hex
    elapsed_ms = round((time.perf_counter() - getattr(g, "started", time.perf_counter())) * 1000, 1)
    response.headers[HEADER] = request_id
    viewer = getattr(g, "viewer", None)
    path = logged_path()
    logger.info(
        "%s %s %s %sms",
        request.method,
        path,
        response.status_code,
        elapsed_ms,
        extra={
            "method": request.method,
            "path": path,
            "status": response.status_code,
            "duration_ms": elapsed_ms,
            "user_id": str(viewer.id) if viewer else None,
        },
    )
    return response


def logged_path() -> str:
    """The request's path, or its route's pattern when the path carries a mailed
    link's token (a reset, verification or invitation link): a log is no place for a
    key that opens an account."""
    rule = request.url_rule
    if rule is not None and "token" in rule.arguments:
        return rule.rule
    return request.path
