"""The scenarios: which loads run together, with what headers, expecting what."""

from __future__ import annotations

from bench import scenarios, wrk
from bench.config import BenchConfig
from bench.scenarios import Access

ACCESS = Access(
    url="http://127.0.0.1:9",
    visitor_cookie="gatehouse_session=v",
    member_cookie="gatehouse_auth=m; gatehouse_session=s",
    token="t0ken",
    password="pw",
    logins=("a", "b"),
)


def parts(found: list[scenarios.Scenario]) -> dict[str, scenarios.Part]:
    return {part.key: part for scenario in found for part in scenario.parts}


def test_the_storm_runs_the_members_page_and_the_sign_ins_together() -> None:
    found = {s.key: s for s in scenarios.gatehouse("sqlite", ACCESS, BenchConfig())}
    members, sign_ins = found["sqlite/storm"].parts
    assert members.load == parts(list(found.values()))["sqlite/members"].load
    assert members.load.connections == 32
    assert sign_ins.load.connections == 16
    assert sign_ins.load.script == wrk.SIGN_IN_SCRIPT
    assert sign_ins.load.args == ("pw", "a", "b")
    assert sign_ins.counted == 303


def test_each_page_carries_its_visitors_credentials_and_expected_status() -> None:
    found = parts(scenarios.gatehouse("postgresql", ACCESS, BenchConfig()))
    assert found["postgresql/home"].load.headers == {"Cookie": "gatehouse_session=v"}
    assert found["postgresql/members"].load.url == "http://127.0.0.1:9/users/"
    assert found["postgresql/api-me"].load.headers == {"Authorization": "Bearer t0ken"}
    assert found["postgresql/not-found"].expected == 404
    assert found["postgresql/home"].expected == 200


def test_the_development_default_loads_the_pages_without_the_sign_ins() -> None:
    found = parts(scenarios.pages("development", ACCESS, BenchConfig()))
    assert sorted(found) == [
        "development/api-me",
        "development/home",
        "development/members",
        "development/not-found",
    ]
    production = parts(scenarios.gatehouse("sqlite", ACCESS, BenchConfig()))
    assert found["development/home"].load == production["sqlite/home"].load


def test_the_deep_page_is_the_last_one() -> None:
    assert scenarios.last_page(100_000) == 5_000
    assert scenarios.last_page(100_001) == 5_001
    found = parts(scenarios.at_scale("sqlite", ACCESS, 100_000, BenchConfig()))
    assert found["sqlite/scale-deep"].path == "/users/?page=5000"
    assert found["sqlite/scale-first"].path == "/users/?page=1"


def test_a_warm_up_is_the_same_load_for_less_time() -> None:
    storm = scenarios.gatehouse("sqlite", ACCESS, BenchConfig(duration=5))[-1]
    warm = storm.shortened(1)
    assert [p.load.duration for p in warm.parts] == [1, 1]
    assert [p.key for p in warm.parts] == [p.key for p in storm.parts]
