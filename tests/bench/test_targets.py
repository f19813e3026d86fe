"""The figures and their targets, and the tables that show them."""

from __future__ import annotations

import pytest

from bench import report, revocation, targets
from bench.revocation import Sample
from bench.targets import Summary
from bench.wrk import Result


def result(rps: float, p99_ms: float, *, status_errors: int = 0) -> Result:
    return Result(
        requests=int(rps * 10),
        duration_us=10_000_000,
        connect_errors=0,
        read_errors=0,
        write_errors=0,
        timeouts=0,
        non_2xx_3xx=status_errors,
        p50_us=1000,
        p90_us=2000,
        p99_us=int(p99_ms * 1000),
        max_us=int(p99_ms * 2000),
        mean_us=1500.0,
    )


def row(rps: float, p99_ms: float = 10.0, errors: int = 0, per_s: float | None = None) -> Summary:
    return Summary(runs=5, rps=rps, p50_ms=1.0, p99_ms=p99_ms, errors=errors, counted_per_s=per_s)


def test_a_summary_takes_medians_and_adds_errors_up() -> None:
    runs = [result(100, 10), result(300, 50, status_errors=2), result(200, 20)]
    summary = targets.summarize(runs, expected=200)
    assert summary.rps == pytest.approx(200)
    assert summary.p99_ms == pytest.approx(20)
    assert summary.errors == 2
    assert summary.counted_per_s is None
    assert (summary.rps_min, summary.rps_max) == (pytest.approx(100), pytest.approx(300))
    assert (summary.p99_min_ms, summary.p99_max_ms) == (pytest.approx(10), pytest.approx(50))


ROWS = {
    "asgi": row(10_000),
    "quart": row(5_000),
    "sqlite/home": row(3_400),
    "sqlite/members": row(2_700, p99_ms=20),
    "sqlite/not-found": row(4_100),
    "sqlite/api-me": row(3_000),
    "sqlite/sign-in": row(9, per_s=9.0),
    "sqlite/storm-members": row(1_000, p99_ms=120),
    "sqlite/storm-sign-in": row(8, per_s=8.0, errors=1),
    "sqlite/scale-first": row(2_000),
    "sqlite/scale-deep": row(1_500),
}


def by_label(found: list[targets.Figure]) -> dict[str, targets.Figure]:
    return {figure.target.label: figure for figure in found}


def test_each_figure_is_a_ratio_within_the_run_judged_against_its_target() -> None:
    found = by_label(targets.figures(ROWS, "sqlite", hash_limit_per_s=10.0, worker_rss_mb=90.0))
    expected = {
        targets.MEMBERS: (0.27, "miss"),
        targets.HOME: (0.34, "pass"),
        targets.NOT_FOUND: (0.41, "pass"),
        targets.SIGN_INS: (0.9, "pass"),
        targets.STORM: (6.0, "miss"),
        targets.DEEP: (0.75, "miss"),
        targets.RSS: (90.0, "miss"),
        targets.ERRORS: (1.0, "miss"),
        targets.QUART: (0.5, ""),
        targets.API: (0.3, "pass"),
    }
    for target, (value, verdict) in expected.items():
        figure = found[target.label]
        assert figure.value == pytest.approx(value), target.label
        assert figure.verdict == verdict, target.label
    assert found[targets.REVOCATION.label].value is None
    assert found[targets.REVOCATION.label].verdict == "not measured"


@pytest.mark.parametrize(("p99_ms", "verdict"), [(12.5, "pass"), (100.0, "pass"), (100.5, "miss")])
def test_the_revocation_windows_p99_is_judged_in_milliseconds(p99_ms: float, verdict: str) -> None:
    found = by_label(
        targets.figures(
            ROWS, "sqlite", hash_limit_per_s=10, worker_rss_mb=50, revocation_p99_ms=p99_ms
        )
    )
    assert found[targets.REVOCATION.label].value == p99_ms
    assert found[targets.REVOCATION.label].verdict == verdict


def test_a_revocation_window_left_out_is_not_measured_and_one_without_meaning_is_na() -> None:
    left_out = targets.figures(ROWS, "sqlite", hash_limit_per_s=10, worker_rss_mb=50)
    development = targets.figures(
        ROWS, "development", hash_limit_per_s=10, worker_rss_mb=50, revocation_applies=False
    )
    assert by_label(left_out)[targets.REVOCATION.label].verdict == "not measured"
    assert by_label(development)[targets.REVOCATION.label].verdict == "n/a"


def test_figures_of_scenarios_that_did_not_run_are_not_applicable() -> None:
    rows = {key: value for key, value in ROWS.items() if "scale" not in key}
    found = by_label(targets.figures(rows, "sqlite", hash_limit_per_s=None, worker_rss_mb=None))
    for target in (targets.DEEP, targets.SIGN_INS, targets.RSS):
        assert found[target.label].value is None
        assert found[target.label].verdict == "n/a"


def test_another_databases_rows_do_not_count_toward_its_errors() -> None:
    rows = {**ROWS, "postgresql/home": row(100, errors=50)}
    found = by_label(targets.figures(rows, "sqlite", hash_limit_per_s=10, worker_rss_mb=50))
    assert found[targets.ERRORS.label].value == 1


@pytest.mark.parametrize(
    ("target", "value", "met"),
    [
        (targets.STORM, 5.0, True),
        (targets.STORM, 5.01, False),
        (targets.ERRORS, 0.0, True),
        (targets.MEMBERS, 0.28, True),
        (targets.QUART, 0.1, None),
    ],
)
def test_bounds_include_the_target_itself(target: targets.Target, value: float, met: bool) -> None:
    assert target.met(value) is met


def test_the_figures_table_shows_each_database_beside_the_target() -> None:
    found = {
        db: targets.figures(
            ROWS if db == "sqlite" else {},
            db,
            hash_limit_per_s=10,
            worker_rss_mb=70,
            revocation_p99_ms=4.56 if db == "sqlite" else None,
        )
        for db in ("sqlite", "postgresql")
    }
    text = report.figures_table(found)
    header, _, *lines = text.splitlines()
    assert header.split() == ["figure", "SQLite", "PostgreSQL", "target"]
    members = next(line for line in lines if line.startswith(targets.MEMBERS.label))
    assert members.split()[-8:] == ["0.27", "miss", "n/a", ">=", "0.28,", "never", "<", "0.19"]
    revocation = next(line for line in lines if line.startswith(targets.REVOCATION.label))
    assert revocation.split()[-6:] == ["4.6", "pass", "not", "measured", "<=", "100"]
    markdown = report.figures_table(found, markdown=True).splitlines()
    assert markdown[1] == "|:---|---:|---:|---:|"


def test_the_revocation_table_has_a_line_per_database_measured() -> None:
    windows = {
        "sqlite": revocation.summarize(
            [Sample(ms, stale=int(ms > 3), sign_out_ms=10.0, warm=True) for ms in (2.0, 3.0, 4.0)]
        ),
        "postgresql": revocation.summarize([Sample(6.0, stale=0, sign_out_ms=8.0, warm=False)]),
    }
    header, _, sqlite, postgresql = report.revocation_table(windows).splitlines()
    assert header.split()[:5] == ["database", "samples", "p50", "ms", "p99"]
    assert sqlite.split() == ["SQLite", "3", "3.0", "4.0", "4.0", "1", "0", "10.0"]
    assert postgresql.split() == ["PostgreSQL", "1", "6.0", "6.0", "6.0", "0", "1", "8.0"]
    markdown = report.revocation_table(windows, markdown=True).splitlines()
    assert markdown[2] == "| SQLite | 3 | 3.0 | 4.0 | 4.0 | 1 | 0 | 10.0 |"


def test_the_scenario_table_has_a_line_per_row() -> None:
    rows = [report.Row(key, key, summary) for key, summary in ROWS.items()]
    text = report.scenario_table(rows)
    assert len(text.splitlines()) == 2 + len(rows)
    sign_in = next(line for line in text.splitlines() if line.startswith("sqlite/sign-in "))
    assert sign_in.split()[1:] == ["SQLite", "9", "1.0", "10.0", "0", "9.0"]


def test_the_scenario_table_shows_the_spread_of_the_runs() -> None:
    summary = targets.summarize(
        [result(900, 12), result(1_100, 30), result(1_000, 20)], expected=200
    )
    text = report.scenario_table([report.Row("asgi", "bare ASGI hello", summary)])
    header, _, line = text.splitlines()
    assert "req/s min–max" in header and "p99 min–max" in header
    assert line.split()[-6:] == ["1,000", "900–1,100", "1.0", "20.0", "12.0–30.0", "0"]


def test_results_are_written_beside_earlier_ones_never_over_them(tmp_path) -> None:  # type: ignore[no-untyped-def]
    first = report.write(tmp_path, "2026-01-01-1200", {"a": 1}, "# one\n")
    second = report.write(tmp_path, "2026-01-01-1200", {"a": 2}, "# two\n")
    assert first[0].name == "2026-01-01-1200.json"
    assert second[0].name == "2026-01-01-1200-2.json"
    assert second[1].read_text() == "# two\n"
