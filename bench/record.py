"""The record of one benchmark: the JSON data, the text for the terminal and the
Markdown file, with the settings and the machine they were measured with."""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench import hashing, report
from bench.config import BenchConfig
from bench.hashing import HashCost

if TYPE_CHECKING:
    from bench.run import Bench

MB = 1024 * 1024


def machine(wrk_path: str, load_at_start: tuple[float, float, float]) -> dict[str, Any]:
    """The machine, and how busy it was with other work (load averages at both ends)."""
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [
            ln.split(":", 1)[1].strip()
            for ln in cpuinfo.read_text().splitlines()
            if ln.startswith("model name")
        ]
        model = names[0] if names else ""
    answer = subprocess.run([wrk_path, "-v"], capture_output=True, text=True, check=False)  # noqa: S603
    version = (answer.stdout or answer.stderr).splitlines()
    return {
        "cores": hashing.cores(),
        "cpu": model,
        "python": platform.python_version(),
        "load_average_at_start": [round(n, 2) for n in load_at_start],
        "load_average_at_end": [round(n, 2) for n in os.getloadavg()],
        "wrk": version[0] if version else "",
    }


def describe(config: BenchConfig) -> str:
    scale = f"{config.scale_users:,} for the deep page" if config.scale_users else "no deep page"
    watched = (
        f"; {config.revocation_samples} sign-outs on each database watched from a second "
        "process (two `gatehouse serve --workers 1`)"
        if config.revocation_samples
        else "; revocation not measured"
    )
    return (
        f"wrk -t{config.threads} -c{config.connections} (sign-ins -c{config.sign_in_connections}), "
        f"{config.runs} interleaved runs of {config.duration} s after a {config.warmup} s warm-up, "
        f"medians and min–max; Gatehouse by `gatehouse serve --workers {config.workers}` "
        f"(a socket each), the baselines by hypercorn -w {config.workers}; "
        f"{config.users:,} users ({scale}); production with Redis on "
        f"{', '.join(config.databases)}"
        f"{' and the development default (SQLite, no Redis)' if config.development else ''}"
        f"{watched}"
    )


def recorded_settings(config: BenchConfig) -> dict[str, Any]:
    """The run's settings as the results keep them: where the results folder is on
    the machine that ran it is no setting of the run, so it is left out."""
    kept = asdict(config)
    kept.pop("results")
    return {k: str(v) if isinstance(v, Path) else v for k, v in kept.items()}


def assemble(
    bench: Bench, cost: HashCost, began: datetime, wall: float
) -> tuple[dict[str, Any], str, str]:
    rows = bench.rows()
    found = bench.figures(cost)
    windows = bench.windows()
    settings = recorded_settings(bench.config)
    data: dict[str, Any] = {
        "date": began.isoformat(timespec="seconds"),
        "wall_seconds": round(wall, 1),
        "settings": settings,
        "machine": machine(bench.wrk, bench.load_at_start),
        "hashing": cost.as_dict(),
        "worker_rss_mb": {k: [round(v / MB, 1) for v in values] for k, values in bench.rss.items()},
        "rows": {
            row.key: {
                "label": row.label,
                "database": row.database,
                "summary": asdict(row.summary),
                "runs": [r.as_dict() for r in bench.results[row.key]],
            }
            for row in rows
        },
        "revocation": {
            database: {
                "summary": asdict(windows[database]),
                "samples": [rounded(asdict(sample)) for sample in samples],
            }
            for database, samples in bench.revocations.items()
        },
        "figures": report.figures_data(found),
    }
    watched = [report.revocation_table(windows)] if windows else []
    watched_markdown = (
        ["## Revocation across two processes", report.revocation_table(windows, markdown=True)]
        if windows
        else []
    )
    context = conditions(data["machine"], cost, wall)
    terminal = "\n\n".join(
        [
            describe(bench.config),
            context,
            report.scenario_table(rows),
            *watched,
            report.figures_table(found),
        ]
    )
    markdown = "\n\n".join(
        [
            f"# Benchmark {began:%Y-%m-%d %H:%M}",
            describe(bench.config) + ".",
            context,
            "## Scenarios",
            report.scenario_table(rows, markdown=True),
            *watched_markdown,
            "## Figures and targets",
            report.figures_table(found, markdown=True),
        ]
    )
    return data, terminal, markdown + "\n"


def rounded(values: dict[str, Any]) -> dict[str, Any]:
    """Times to the microsecond (in milliseconds); a clock's last digits mean nothing."""
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in values.items()}


def conditions(machine: dict[str, Any], cost: HashCost, wall: float) -> str:
    """The machine, how busy other work kept it, and what one password check cost."""
    start, end = machine["load_average_at_start"][0], machine["load_average_at_end"][0]
    return (
        f"{machine['cores']} cores ({machine['cpu']}), load average {start:.1f} before and "
        f"{end:.1f} after; took {wall / 60:.1f} min. One argon2 check: "
        f"{cost.wall_s * 1000:.0f} ms ({cost.cpu_s * 1000:.0f} ms CPU); hash-bound limit "
        f"{cost.limit_per_s:.1f}/s."
    )
