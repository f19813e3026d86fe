"""One log line per request, tied together by a request id."""

from __future__ import annotations

import logging
import re
import time
import uuid

from quart import Quart, Response, g, request

logger = logging.getLogger("gatehouse.request")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
HEADER = "X-Request-ID"


def register_request_log(app: Quart) -> None:
    app.before_request(_start)
    app.after_request(_finish)


async def _start() -> None:
    offered = request.headers.get(HEADER, "")
    g.request_id = offered if _REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex
    g.started = time.perf_counter()


async def _finish(response: Response) -> Response:
    request_id = getattr(g, "request_id", None) or uuid.uuid4().hex
    elapsed_ms = round((time.perf_counter() - getattr(g, "started", time.perf_counter())) * 1000, 1)
    response.headers[HEADER] = request_id
    viewer = getattr(g, "viewer", None)
    logger.info(
        "%s %s %s %sms",
        request.method,
        request.path,
        response.status_code,
        elapsed_ms,
        extra={
            "request_id": request_id,
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": elapsed_ms,
            "user_id": str(viewer.id) if viewer else None,
        },
    )
    return response
