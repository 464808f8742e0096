"""Snapshot failures of a real jest run under ``--ci`` (``tests/fixtures/suites/jest_qa/``
``snapshot.test.js``, see the README there): a snapshot that no longer matches and one jest did
not write (no ``.snap`` entry, and ``--ci`` writes none) both fail with the matcher's line,
"expect(received).toMatchSnapshot()", and read as one cause; the second is a missing snapshot, not
a changed value, and its message says so."""

from __future__ import annotations

from suite_runs import FIXTURES

from netra_diag.suites import parse_jest_json
from netra_diag.suites.clusters import cluster_failures

QA = FIXTURES / "jest_qa"
CHANGED = " session.created payload:: session.created payload"
NOT_WRITTEN = " new snapshot in CI:: new snapshot in CI"


def test_a_snapshot_never_written_is_told_from_one_that_changed() -> None:
    run = parse_jest_json(QA / "qa.json")
    changed, missing = run.get(CHANGED), run.get(NOT_WRITTEN)
    assert changed is not None and missing is not None
    assert changed.problems[0].message == "Error: expect(received).toMatchSnapshot()"
    said = missing.problems[0].message
    assert said.startswith(
        "Error: expect(received).toMatchSnapshot(): New snapshot was not written"
    )
    groups = [set(cluster.tests) for cluster in cluster_failures(run)]
    assert not [g for g in groups if {CHANGED, NOT_WRITTEN} <= g]
