"""Which recordings belong to which test of a run, and what a reader must hear about the rest
(``link_recordings``; re-exported by ``netra_diag.suites.links``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from netra_diag.suites.link_runs import latest_run_only
from netra_diag.suites.model import Outcome, SuiteRun
from netra_diag.wording import plural

if TYPE_CHECKING:
    from netra_diag.suites.links import Recording

__all__ = ["PENDING", "link_recordings"]

# The outcome label of a cassette whose test has not finished (netra_diag.pytest_plugin).
PENDING = "pending"


# pytest's words for a test's outcome (the plugin's labels) by the outcomes a report holds.
_SAME_OUTCOME = {
    Outcome.PASSED: {"passed"},
    # (a call that failed and a teardown that raised: pytest says FAILED and ERROR, the label
    # 'error', a JUnit row 'failed')
    Outcome.FAILED: {"failed", "error"},
    Outcome.ERROR: {"error", "failed"},
    Outcome.SKIPPED: {"skipped"},
    Outcome.XFAILED: {"xfailed", "skipped"},
    Outcome.XPASSED: {"xpassed", "passed"},
}


def link_recordings(
    run: SuiteRun, recordings: Mapping[str, tuple[Recording, ...]], *, source: str = "recordings"
) -> tuple[dict[str, tuple[Recording, ...]], list[str]]:
    """The recordings of the tests of ``run`` (by test id), and what a reader must hear about
    the rest: recordings that match no test (another suite, a relabelled file), recordings
    whose recorded outcome contradicts the results (another run's cassettes)."""
    if not recordings:
        # (no index of the run's rows for nothing to link: it costs a 100k-test run 20 ms)
        empty = f"{source}: no cassettes (*.jsonl) to link to the tests"
        return {}, [empty] if source != "recordings" else []
    notes: list[str] = []
    by_id = run.row_by_id
    recordings = latest_run_only(recordings, by_id, source, notes)
    linked = {tid: recs for tid, recs in recordings.items() if tid and tid in by_id}
    stray = [rec for tid, recs in recordings.items() if tid not in linked for rec in recs]
    total = sum(len(recs) for recs in recordings.values())
    # A cassette cut short or garbled is read as far as it goes; say where it is damaged.
    damaged = [w for recs in recordings.values() for rec in recs for w in rec.warnings]
    if damaged:
        more = f" (+{len(damaged) - 3} more)" if len(damaged) > 3 else ""
        notes.append(f"{source}: damaged recordings: {'; '.join(damaged[:3])}{more}")
    if stray:
        example = next((r.nodeid for r in stray if r.nodeid), "")
        said = f" (e.g. labelled {example!r})" if example else " (no node id label)"
        notes.append(
            f"{source}: {len(stray)} of {plural(total, 'recording')} match no test of this "
            f"run{said}: left out"
        )
    contradicting = [
        (tid, rec)
        for tid, recs in linked.items()
        for rec in recs
        # (an attempt pytest-rerunfailures ran again: whatever the test's final outcome; a killed
        # test's is said below)
        if rec.outcome not in ("", "rerun", PENDING)
        and rec.outcome not in _SAME_OUTCOME.get(by_id[tid].outcome, {rec.outcome})
    ]
    if contradicting:
        # Not shown as a test's evidence: a recording of a pass under a failing test (another
        # run's cassettes in the folder) would read as what the failure recorded.
        dropped = {id(rec) for _, rec in contradicting}
        kept = {tid: tuple(r for r in recs if id(r) not in dropped) for tid, recs in linked.items()}
        linked = {tid: recs for tid, recs in kept.items() if recs}
    killed = [(tid, rec) for tid, recs in linked.items() for rec in recs if rec.killed]
    if killed:
        tid, rec = killed[0]
        notes.append(
            # (not "{tid}: {path}": a test named *_token would have its path shown as a secret)
            f"{source}: {plural(len(killed), 'recording')} still labelled 'pending' (e.g. "
            f"{rec.path}, of {tid}): the process running the test was killed before the test "
            "finished (a timeout's thread method, a crashed xdist worker, a CI job killed); "
            "read as far as they go"
        )
    if contradicting:
        tid, rec = contradicting[0]
        notes.append(
            f"{source}: {plural(len(contradicting), 'recording')} "
            f"{'disagrees' if len(contradicting) == 1 else 'disagree'} with the results on "
            f"the outcome (e.g. {tid}: recorded {rec.outcome!r}, the results say "
            f"{str(by_id[tid].outcome)!r}): recorded in another run? left out"
        )
    return linked, notes
