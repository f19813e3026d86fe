"""What a results file keeps of the run's settings."""

from __future__ import annotations

from pathlib import Path

from bench.config import BenchConfig
from bench.record import describe, recorded_settings


def test_the_recorded_settings_name_no_folder_of_the_machine(tmp_path: Path) -> None:
    settings = recorded_settings(BenchConfig(results=tmp_path / "results", duration=7))
    assert settings["duration"] == 7
    assert "results" not in settings
    assert str(tmp_path) not in repr(settings)


def test_the_description_says_whether_revocation_is_measured() -> None:
    assert "200 sign-outs on each database" in describe(BenchConfig())
    assert "revocation not measured" in describe(BenchConfig(revocation_samples=0))
