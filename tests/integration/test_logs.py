"""The production log format: one JSON object a line, with the request's fields."""

from __future__ import annotations

import json
import logging

from infrastructure.logs import JsonFormatter


def test_a_json_line_carries_the_message_and_the_extra_fields() -> None:
    record = logging.LogRecord(
        "gatehouse.request", logging.INFO, __file__, 1, "GET %s", ("/",), None
    )
    record.request_id = "abc123"
    record.status = 200
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "GET /"
    assert entry["level"] == "INFO"
    assert entry["logger"] == "gatehouse.request"
    assert entry["request_id"] == "abc123"
    assert entry["status"] == 200
    assert entry["time"].endswith("+00:00")


def test_an_exception_is_kept_in_one_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert "ValueError: boom" in json.loads(line)["exception"]
