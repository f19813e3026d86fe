"""Reading wrk's report: the JSON line of report.lua, checked against wrk's summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import wrk

SUMMARY = """Running 5s test @ http://127.0.0.1:8000/
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     6.62ms    5.24ms  30.03ms   57.00%
  15878 requests in 5.01s, 2.29MB read
{errors}Requests/sec:   3169.22
"""


def report_line(**changes: object) -> str:
    data: dict[str, object] = {
        "requests": 1000,
        "duration_us": 5_000_000,
        "bytes": 123_456,
        "errors": {"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0},
        "latency_us": {"p50": 6122, "p90": 13500, "p99": 23074, "max": 30032, "mean": 6620.5},
        "statuses": {},
    }
    data.update(changes)
    return "WRK_JSON " + json.dumps(data)


def output(line: str, errors: str = "") -> str:
    return SUMMARY.format(errors=errors) + line + "\n"


def test_the_report_line_gives_rate_percentiles_and_errors() -> None:
    result = wrk.parse(output(report_line()))
    assert result.requests == 1000
    assert result.rps == pytest.approx(200.0)
    assert (result.p50_us, result.p99_us) == (6122, 23074)
    assert result.errors() == 0


def test_non_2xx_answers_and_socket_errors_are_errors() -> None:
    errors = {"connect": 1, "read": 2, "write": 0, "status": 7, "timeout": 3}
    text = output(
        report_line(errors=errors),
        "  Socket errors: connect 1, read 2, write 0, timeout 3\n  Non-2xx or 3xx responses: 7\n",
    )
    result = wrk.parse(text)
    assert result.socket_errors == 6
    assert result.errors() == 13


def test_for_an_expected_404_the_answers_that_were_not_errors_count() -> None:
    errors = {"connect": 0, "read": 0, "write": 0, "status": 990, "timeout": 0}
    line = report_line(errors=errors)
    result = wrk.parse(output(line, "  Non-2xx or 3xx responses: 990\n"))
    assert result.errors(expected=404) == 10
    assert result.errors(expected=200) == 990


def test_a_summary_that_disagrees_with_the_report_is_refused() -> None:
    with pytest.raises(wrk.WrkError, match="Non-2xx"):
        wrk.parse(output(report_line(), "  Non-2xx or 3xx responses: 5\n"))


@pytest.mark.parametrize(
    "text",
    ["no report here\n", "WRK_JSON {not json}\n", 'WRK_JSON {"requests": 1}\n'],
)
def test_output_without_a_readable_report_is_an_error(text: str) -> None:
    with pytest.raises(wrk.WrkError):
        wrk.parse(text)


def test_status_counts_are_read_with_integer_codes() -> None:
    result = wrk.parse(output(report_line(statuses={"200": 16, "303": 40})))
    assert result.statuses == {200: 16, 303: 40}
    assert result.per_second(303) == pytest.approx(8.0)


def test_throughput_counts_only_the_time_connections_spent_on_answered_requests() -> None:
    # 16 connections, 50 answers averaging 2 s: 100 connection-seconds, 6.25 per second
    # per connection-second times 16; the run's 5 s clock would say 30 / 5 = 6.
    line = report_line(
        requests=50,
        latency_us={"p50": 2e6, "p90": 2e6, "p99": 2e6, "max": 2e6, "mean": 2e6},
        statuses={"200": 20, "303": 30},
    )
    result = wrk.parse(output(line))
    assert result.per_second(303) == pytest.approx(6.0)
    assert result.throughput(303) == pytest.approx(6.0)  # connections unknown: as counted
    with_connections = wrk.Result(**{**vars(result), "connections": 16})
    assert with_connections.throughput(303) == pytest.approx(30 * 16 / 100)


def test_the_command_carries_headers_script_and_arguments() -> None:
    load = wrk.Load(
        url="http://127.0.0.1:9/users/",
        duration=3,
        connections=8,
        headers={"Cookie": "a=b"},
        script=wrk.SIGN_IN_SCRIPT,
        args=("secret", "alice"),
    )
    command = load.command("/usr/bin/wrk")
    assert command[:5] == ["/usr/bin/wrk", "-t1", "-c8", "-d3s", "--timeout=10s"]
    assert command[command.index("-H") + 1] == "Cookie: a=b"
    assert command[command.index("-s") + 1] == str(wrk.SIGN_IN_SCRIPT)
    assert command[-4:] == ["http://127.0.0.1:9/users/", "--", "secret", "alice"]


def test_the_lua_scripts_are_where_the_loads_expect_them() -> None:
    for script in (wrk.PAGE_SCRIPT, wrk.SIGN_IN_SCRIPT, wrk.LUA / "report.lua"):
        assert Path(script).is_file(), script
