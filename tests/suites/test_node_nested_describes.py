"""node's test runner: a test is named by every describe around it, not the innermost alone.

node's JUnit reporter names every testcase's class "test" and nests a ``<testsuite>`` per
``describe``. Test ids were the innermost describe and the title, so ``login > edge cases >
works`` and ``logout > edge cases > works`` were "edge cases::works" and "edge cases::works #2",
told apart by position: against a baseline holding only logout's block, logout's regression
read as a new test and its baseline result was matched to login's test.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from timeouts import scaled

from netra_diag.suites import junit, triage

CURRENT = """
import { describe, it } from "node:test";
import assert from "node:assert";
describe("login", () => { describe("edge cases", () => { it("works", () => {}); }); });
describe("logout", () => {
  describe("edge cases", () => { it("works", () => { assert.fail("logout broke"); }); });
});
"""
BASELINE = """
import { describe, it } from "node:test";
describe("logout", () => { describe("edge cases", () => { it("works", () => {}); }); });
"""

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")


def _node_junit(folder: Path, name: str, source: str) -> Path:
    spec = folder / f"{name}.test.mjs"
    spec.write_text(source, encoding="utf-8")
    out = folder / f"{name}.xml"
    subprocess.run(
        [
            str(shutil.which("node")),
            "--test",
            "--test-reporter=junit",
            f"--test-reporter-destination={out}",
            spec.name,
        ],
        cwd=folder,
        capture_output=True,
        timeout=scaled(60),
        check=False,
    )
    return out


@pytest.mark.parametrize("bulk", [False, True], ids=["streamed", "bulk"])
def test_describes_name_the_test_and_the_baseline_matches_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bulk: bool
) -> None:
    if bulk:  # the reader for large files, on this small one
        monkeypatch.setattr(junit, "BULK_MIN_BYTES", 1)
    current = _node_junit(tmp_path, "current", CURRENT)
    baseline = _node_junit(tmp_path, "baseline", BASELINE)
    report = triage([current], baseline=[baseline])
    ids = [row.test_id for row in report.current.rows]
    assert ids == ["login > edge cases::works", "logout > edge cases::works"], ids
    diff = report.diff
    assert diff is not None
    assert list(diff.new_failures) == ["logout > edge cases::works"], diff
    assert list(diff.added) == ["login > edge cases::works"], diff
