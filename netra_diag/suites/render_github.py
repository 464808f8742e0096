"""Render a ``TriageReport`` as GitHub Actions workflow commands: one annotation per failing test.

``netra-diag triage --format github`` in a workflow step puts each failing test's cause on the line
of the test that failed, in the pull request's diff, and the headline at the top of the run's
page. Annotations name the cause (category, and how many tests share it), not just "failed".

Where the annotation points: the deepest traceback frame in the test's own file (the line that
failed), else the test's definition as the report gives it (pytest writes that line 0-based).
Everything goes through ``netra_diag.redaction.scrub_shown``, like the other renderings.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from netra_diag.redaction import environment_secrets, scrub_shown
from netra_diag.suites.categories import category_label
from netra_diag.suites.model import TestCase, module_of
from netra_diag.suites.render import flaky_histories

if TYPE_CHECKING:
    from netra_diag.suites.triage import TriageReport

__all__ = ["MAX_ANNOTATIONS", "report_to_github"]

# GitHub keeps 10 error annotations of a step (and 10 notices, 50 annotations a job: the
# actions/toolkit's problem-matchers page); the rest are dropped without a word. So the headline
# and one test of each cause come first, worst cause first, and a notice counts what was left.
MAX_ANNOTATIONS = 10
MAX_WARNINGS = 10  # (GitHub's limit for warning annotations of a step, as for errors)


def _data(text: str) -> str:
    """A command's message: '%', CR and LF escaped (the runner's own escaping rules)."""
    return (
        scrub_shown(text, environment_secrets())
        .replace("%", "%25")
        .replace("\r", "%0D")
        .replace("\n", "%0A")
    )


def _property(text: str) -> str:
    """A command's property value (file, title): ':' and ',' escaped too."""
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _location(case: TestCase | None, zero_based: bool) -> str:
    """``file=…,line=…`` of where ``case`` failed, or "" when the report does not say.
    ``zero_based``: the report's ``line`` attributes count from 0 (pytest's JUnit)."""
    if case is None:
        return ""
    text = case.primary.text if case.primary is not None else ""
    # "path/test_x.py:88: in test_y" or "path/test_x.py:88: AssertionError" (pytest): the last
    # such frame is where it failed. Its path is relative to where pytest ran (the workspace, in
    # CI), the file attribute to pytest's rootdir: the traceback's is the one to show.
    for file in _test_files(case):
        frames = re.findall(rf"(?m)^((?:\S*/)?{re.escape(file)}):(\d+):", text)
        if frames:
            path, number = frames[-1]
            return f"file={_property(path)},line={number}"
    if not case.file:
        return ""
    if case.line is not None:
        line = case.line + 1 if zero_based else case.line
        return f"file={_property(case.file)},line={line}"
    return f"file={_property(case.file)}"


def _test_files(case: TestCase) -> list[str]:
    """Where the test's source may be: the report's ``file``, else (pytest's xunit2 writes no
    file attribute) the module its dotted classname names, ``tests.e2e.test_a.TestB`` ->
    ``tests/e2e/test_a.py``, or the shorter paths a rootdir elsewhere would print. A test
    that failed without a traceback (a strict xpass) then has no location."""
    if case.file:
        return [case.file]
    # (a collection error has no classname; its name is the module's)
    module = module_of(case.classname or case.name).split(".")
    return ["/".join(module[i:]) + ".py" for i in range(len(module)) if module[i]]


def report_to_github(report: TriageReport, *, max_tests: int = 5) -> str:
    """Workflow commands: the headline (an error if tests fail, else a notice), then an error
    annotation on failing tests, up to ``max_tests`` per cause: one test of each cause before a
    second of any, worst cause first, ``MAX_ANNOTATIONS`` errors in all."""
    failing = report.failing
    # a pass that proves little (auth bypassed, events never seen, ...) is a warning: a notice
    # is folded away in a run's summary, under a green check
    level = "error" if failing else ("warning" if report.weak_signals else "notice")
    lines = [f"::{level} title={_property('netra-diag triage')}::{_data(report.headline)}"]
    zero_based = "junit-pytest" in report.current.fmt
    room = MAX_ANNOTATIONS - (1 if failing else 0)
    annotated = 0
    seen: set[str] = set()  # tests annotated (a test may be in two clusters: see below)
    flaky = flaky_histories(report)
    # (rounds past the largest cause annotate nothing: --max-tests 10**12 looped for hours)
    rounds = min(max_tests, max((c.size for c in report.clusters), default=0))
    for round_ in range(rounds):
        if annotated == room:
            break
        for cluster in report.clusters:
            if round_ >= cluster.size or annotated == room:
                continue
            test_id = cluster.tests[round_]
            label = category_label(cluster.category)
            share = f" ({cluster.size} tests, one cause)" if cluster.size > 1 else ""
            where = _location(report.current.get(test_id), zero_based)
            head = f"::error {where},title=" if where else "::error title="
            message = f"{test_id}: {cluster.because}. {cluster.category_reason}"
            recorded = report.recordings.get(test_id, ())
            if recorded and recorded[0].contract_findings:
                # what the test's own session showed, from its recording
                message += f". Its recording: {recorded[0].contract_findings[0]}"
            if test_id in flaky:
                message += f". Flaky in the history: {test_id} ({flaky[test_id]})"
            lines.append(f"{head}{_property(label + share)}::{_data(message)}")
            annotated += 1
            seen.add(test_id)
    # (a failing test counts once here, with the cluster of the cause that decided its outcome,
    # though a teardown error after it puts it in a second cluster; the runner's counts may
    # hold it twice, in both buckets)
    clustered = {t for c in report.clusters for t in c.tests}
    if len(seen) < len(clustered):
        lines.append(
            f"::notice title={_property('netra-diag triage')}::"
            f"{len(clustered - seen)} more failing tests not annotated (GitHub shows "
            f"{MAX_ANNOTATIONS} error annotations a step): see the triage report"
        )
    # What the inputs did not say themselves (recordings of another run, a baseline of another
    # suite): warnings, where the text and Markdown reports list them.
    lines += [
        f"::warning title={_property('netra-diag triage')}::{_data(w)}"
        for w in report.warnings[:MAX_WARNINGS]
    ]
    return "\n".join(lines) + "\n"
