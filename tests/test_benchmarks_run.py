"""Every benchmark still runs against today's code: each is started as `make bench` starts it, at a
tiny size, and must finish and end with its one JSON line. Two broke unnoticed when a function
they call gained an argument. Nothing here is timed; the figures are bench/'s business."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.scale import _verdicts

ROOT = Path(__file__).resolve().parent.parent

TINY = {
    "bench.nearest": [
        "--volunteers",
        "400",
        "--shifts",
        "30",
        "--targets",
        "5",
        "--calls",
        "5",
        "--counts",
        "3",
    ],
    "bench.scale": [
        "--volunteers",
        "600",
        "--events",
        "10",
        "--rsvps",
        "3000",
        "--repeat",
        "1",
        "--engines",
        "sqlite",
    ],
    "bench.surge": ["--volunteers", "3000", "--wanted", "20", "--repeat", "1"],
    "bench.rsvp": ["--taps", "40", "--window", "5", "--latency-seconds", "2"],
    "bench.budget": ["--recipients", "100", "--taps-per-s", "2", "--seconds", "3"],
    "bench.broadcast": [
        "--recipients",
        "200",
        "--paced-seconds",
        "2",
        "--rounds",
        "1",
        "--kills",
        "1",
    ],
}


@pytest.mark.parametrize("module", sorted(TINY))
def test_the_benchmark_runs_to_its_json_line(module: str) -> None:
    env = dict(os.environ)
    env.pop("TEST_POSTGRES_URL", None)  # SQLite only: the PostgreSQL half is the same code
    done = subprocess.run(
        [sys.executable, "-m", module, *TINY[module]],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    last = done.stdout.strip().splitlines()[-1]
    assert isinstance(json.loads(last), dict)


def test_the_scale_benchmark_judges_the_bots_peak_memory_not_its_idle_size() -> None:
    """The bot idles well under its memory target after /summary and went over it during
    /export: the verdict is on the peak over the whole run."""
    def run(export_peak: float) -> dict[str, object]:
        return {
            "reports": {},
            "audience": {},
            "rss": {
                "summary": {"rss_mb": 112.1, "peak_mb": 112.1},
                "export": {"rss_mb": 140.0, "peak_mb": export_peak},
            },
        }

    assert _verdicts({"sqlite": run(167.4)}) == ["sqlite bot peak RSS: 167.4 MB"]
    assert _verdicts({"sqlite": run(149.9)}) == []
