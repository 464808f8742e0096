"""Runs of the embedded service with injected faults, analysed, for the tests of how injected
faults are matched to what the analysis diagnosed (``netra_diag.investigation.injected``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from netra_diag import investigation
from netra_diag.events.sources import load_cassette_stream


async def collect_and_analyse(
    where: Path, faults: str, *, users: int, time_scale: float, seed: int
) -> tuple[Path, Any]:
    """Record ``users`` users' 3 runs each against the service injecting ``faults``, and
    analyse them: ``(record_dir, investigation)``."""
    config = investigation.CollectConfig(
        users=users, runs=3, faults=faults, time_scale=time_scale, run_timeout=1.0, seed=seed
    )
    collection = await investigation.collect(where / "rec", config)
    return collection.record_dir, investigation.analyse(collection.record_dir, results=[])


def run_events(record_dir: Path, run_id: str) -> list[Any]:
    """The recorded events of ``run_id`` (each with its client time ``t``), in arrival order."""
    found = [
        te
        for cassette in sorted(record_dir.glob("*.jsonl"))
        for te in load_cassette_stream(cassette).events
        if te.event.run_id == run_id
    ]
    return sorted(found, key=lambda te: float(te.t))
