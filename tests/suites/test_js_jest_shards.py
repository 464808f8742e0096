"""``jest --shard`` runs as a folder of shards (``tests/fixtures/suites/jest_order/shards/``, see
the README there): each shard's file holds a test "connects" (of two files). Merged, the two
read as one test seen twice: 2 tests, not the 3 jest ran."""

from __future__ import annotations

import pytest
from suite_runs import FIXTURES, jest_says

from netra_diag.cli import main
from netra_diag.suites import load_results

ORDER = FIXTURES / "jest_order"


def test_shards_count_what_each_shard_ran() -> None:
    said = [jest_says(ORDER / f"shard{n}.summary.txt")[1] for n in (1, 2)]
    run = load_results(ORDER / "shards")
    assert run.counts.passed == sum(s.get("passed", 0) for s in said)  # 2
    assert run.counts.failed == sum(s.get("failed", 0) for s in said)  # 1
    assert run.counts.total == sum(s["total"] for s in said)  # was 2
    assert not [w for w in run.warnings if "more than one file" in w]
    ids = {row.test_id for row in run.rows}
    assert " connects:: connects [__tests__/b.test.js]" in ids
    # (a shard whose files all passed names them whole: no message tells jest's rootDir, and
    # the fixture does not sit where jest wrote it, in the project)
    assert " connects:: connects [/tmp/qajs3/__tests__/a_longer_file_name.test.js]" in ids


def test_a_file_in_two_documents_is_the_same_tests() -> None:
    # (the whole run's document and a shard's: b.test.js's tests are merged, as before)
    run = load_results([ORDER / "shards" / "shard2.json", ORDER / "run2.json"])
    assert run.counts.total == 3
    assert [w for w in run.warnings if "more than one file" in w]


def test_triage_of_the_shards(capsys: pytest.CaptureFixture[str]) -> None:
    main(["triage", str(ORDER / "shards")])
    assert ": 1 failed, 2 passed" in capsys.readouterr().out
