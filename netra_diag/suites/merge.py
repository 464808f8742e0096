"""Load one run from several result files (shards), whatever their format, de-duplicated.

A test that appears in more than one file is one test: identical results are kept once; when the
results differ, the later attempt wins and the earlier ones are kept as its reruns (a pass after a
failed attempt is then "passed on retry", as Surefire's ``flakyFailure`` says). Which is later is
what the files' start times say when both say, else the file read last is. Files are taken in
the order given; a directory contributes its ``*.xml`` and ``*.json`` files in name order,
numbers in names read as numbers (``shard-2`` before ``shard-10``).

The jest-junit XML and the ``jest --json`` of one run, given together, name their tests alike
(``netra_diag.suites.jest_json``): the JSON's results stand, the XML's testcases it holds are
left out, and a warning says so (``netra_diag.suites.jest_json_pair``): each test counted twice
would read as run twice, a load failure only the JSON records as a second attempt.
"""

from __future__ import annotations

import io
import json
import os
import stat
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from netra_diag.errors import NotResultsFile, ReportParseError
from netra_diag.suites.jest_json import is_jest_json, parse_jest_json_data
from netra_diag.suites.jest_json_pair import one_jest_run
from netra_diag.suites.json_file import decode_json, read_capped
from netra_diag.suites.junit import looks_like_junit, parse_junit
from netra_diag.suites.junit_cases import FailureSink
from netra_diag.suites.model import (
    FAILING,
    CaseRow,
    Outcome,
    Problem,
    ProblemKind,
    SuiteRun,
    TestCase,
    case_from_row,
    row_of,
)
from netra_diag.suites.pytest_json import parse_pytest_json_data
from netra_diag.suites.run_order import earliest_start, sorted_by_name, started_before
from netra_diag.wording import plural

__all__ = ["expand_paths", "load_results", "merge_runs", "parse_results", "require_directory"]

ResultPath = str | os.PathLike[str]


def require_directory(path: ResultPath, what: str) -> Path:
    """``path`` if it is a directory; else a ``ReportParseError`` saying what was expected there
    (a mistyped folder of ``what`` must not read as an empty one)."""
    folder = Path(path)
    if not folder.is_dir():
        problem = "not a directory" if folder.exists() else "no such directory"
        raise ReportParseError(str(folder), f"{problem} (expected {what})")
    return folder


def expand_paths(paths: Iterable[ResultPath]) -> list[Path]:
    """Files to read: each file as given, each directory's ``*.xml``/``*.json`` in name order;
    a file named twice (``reports/*.xml reports/junit-1.xml``, a folder and a file in it) once,
    where it first appears."""
    out: list[Path] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            found = sorted_by_name(
                f for f in path.iterdir() if f.is_file() and f.suffix.lower() in (".xml", ".json")
            )
            if not found:
                raise ReportParseError(str(path), "directory holds no .xml or .json results")
            out.extend(found)
        else:
            out.append(path)
    seen: set[Path] = set()
    unique: list[Path] = []
    for path in out:
        try:
            key = path.resolve()
        except (OSError, RuntimeError):  # (reading it will say what is wrong)
            key = path
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique


def parse_results(path: ResultPath, *, on_failures: FailureSink | None = None) -> SuiteRun:
    """Parse one results file, choosing the parser from its first bytes (``<`` or ``{``) and, for
    JSON, from the document's keys (jest's ``testResults``, pytest-json-report's ``tests``).
    The file is opened once: a pipe or FIFO (``<(cat x.xml)``, ``/dev/stdin``) is parsed from
    the bytes read, at most ``netra_diag.suites.json_file.MAX_WHOLE_READ`` of them.
    ``on_failures``: see ``netra_diag.suites.junit_cases.CaseCollector`` (JUnit only)."""
    p = os.fspath(path)
    try:
        with open(p, "rb") as fh:
            regular = stat.S_ISREG(os.fstat(fh.fileno()).st_mode)
            head = fh.read(512)
            junit = looks_like_junit(head)
            if not junit and b"\0\0\0\0" in head:
                # (/dev/zero, a file of zeros: no text has four NULs in a row, not even UTF-16
                # or UTF-32, so there is no reason to read on, up to MAX_WHOLE_READ)
                raise NotResultsFile(p, f"binary data, not a results file: expected {_FORMATS}")
            # JUnit in a regular file is streamed from the path (the bulk reader maps it);
            # anything else is read whole, once: a pipe or FIFO cannot be opened a second time
            raw = None if junit and regular else read_capped(fh, p, head)
    except OSError as exc:
        raise ReportParseError(p, f"cannot open: {exc.strerror or exc}") from exc
    if raw is None:
        return parse_junit(p, on_failures=on_failures)
    if junit:
        return parse_junit(io.BytesIO(raw), name=p, on_failures=on_failures)
    if raw.lstrip(_JSON_LEAD).startswith(b"{"):
        try:
            return _parse_json(raw, p)
        except ReportParseError:
            # (a JSON log line the tests printed, then jest's own: see _jest_json_after_output)
            run = _jest_json_after_output(p, raw)
            if run is None:
                raise
            return run
    if not raw.strip():
        raise ReportParseError(p, f"empty file, expected {_FORMATS}", line=1)
    run = _jest_json_after_output(p, raw)
    if run is not None:
        return run
    raise NotResultsFile(p, f"not a results file: expected {_FORMATS}", line=1)


# jest --json writes its document on one line that opens with this key.
_JEST_OPENING = b'{"numFailedTestSuites":'


def _jest_json_after_output(path: str, raw: bytes) -> SuiteRun | None:
    """jest's JSON in a file that ``jest --json > file`` made: what the tests or the code under
    test wrote to stdout comes before it, on lines of its own. Read from jest's line on, with a
    warning saying what was left out and how to keep the two apart (``raw``: the file's
    bytes)."""
    start = raw.find(b"\n" + _JEST_OPENING)
    if start < 0:
        return None
    line = raw.count(b"\n", 0, start) + 2
    try:
        data, _ = json.JSONDecoder().raw_decode(raw[start + 1 :].decode("utf-8"))
    except (ValueError, UnicodeError) as exc:
        raise ReportParseError(path, f"jest's JSON from line {line} on: {exc}", line=line) from exc
    if not is_jest_json(data):
        return None
    run = _jest_run(data, path)
    note = (
        f"{path}: the {line - 1} line(s) before jest's JSON (line {line}) were left out: output "
        "the tests wrote to stdout under 'jest --json > file'; 'jest --json "
        "--outputFile=FILE' keeps the two apart"
    )
    return replace(run, warnings=(*run.warnings, note))


_JSON_LEAD = b"\xef\xbb\xbf \t\r\n"
_FORMATS = "JUnit XML, pytest-json-report JSON or jest --json"
_PYTEST_KEYS = ("tests", "collectors", "summary")


def _jest_run(data: Any, path: str) -> SuiteRun:
    # (jest names its test files from its root dir: the results file's own folder stands in)
    return parse_jest_json_data(data, path=path, results_dir=os.path.dirname(os.path.abspath(path)))


def _parse_json(raw: bytes, path: str) -> SuiteRun:
    data = decode_json(raw, path)
    if is_jest_json(data):
        return _jest_run(data, path)
    if isinstance(data, Mapping) and any(key in data for key in _PYTEST_KEYS):
        return parse_pytest_json_data(data, path=path)
    keys = ", ".join(repr(k[:40]) for k in list(data)[:6]) if isinstance(data, Mapping) else ""
    raise NotResultsFile(
        path,
        f"a JSON object{f' with keys {keys}' if keys else ''}, but neither a pytest-json-report "
        "document (no 'tests' list) nor jest --json output (no 'testResults' list)",
        line=1,
    )


def load_results(
    paths: Sequence[ResultPath] | ResultPath,
    *,
    on_failures: FailureSink | None = None,
    on_file: Callable[[Path], None] | None = None,
) -> SuiteRun:
    """Parse and merge every results file of one run (see the module docstring).
    ``on_failures``: see ``parse_results``. ``on_file`` is told of each file before it is read
    (for progress)."""
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    files = expand_paths(paths)
    if not files:
        raise ReportParseError("<none>", "no results files given")
    named = {Path(p) for p in paths}
    runs = []
    skipped: list[str] = []
    for f in files:
        if on_file is not None:
            on_file(f)
        try:
            runs.append(parse_results(f, on_failures=on_failures))
        except NotResultsFile as exc:
            if f in named:
                raise
            # (a coverage.xml or package.json beside the results in a CI artifact folder)
            skipped.append(f"{exc.path}: left out, not test results ({exc.reason})")
    if not runs:
        raise ReportParseError(
            ", ".join(os.fspath(p) for p in paths),
            "no test results among its files: " + "; ".join(skipped),
        )
    run = runs[0] if len(runs) == 1 else merge_runs(runs)
    return replace(run, warnings=(*run.warnings, *skipped)) if skipped else run


def merge_runs(runs: Sequence[SuiteRun]) -> SuiteRun:
    """Merge shards of one run; a test seen twice is de-duplicated as the module docstring says."""
    runs = one_jest_run(runs)
    rows: list[CaseRow] = []
    details: dict[str, TestCase] = {}
    index_of: dict[str, int] = {}
    warnings: list[str] = []
    duplicates = 0
    declared: dict[str, int] = {}
    kept_from: dict[str, str] = {}  # test id -> start of the run its kept result is from
    file_of: dict[str, str] = {}  # test id -> the file its first result came from
    shared: dict[tuple[str, str], int] = {}  # (file, file) -> results both held
    differed: list[str] = []  # "test id: failed in a.xml, passed in b.xml"
    for run in runs:
        source = run.sources[0] if run.sources else "?"
        warnings.extend(run.warnings)
        for key, value in run.declared.items():
            declared[key] = declared.get(key, 0) + value
        for row in run.rows:
            earlier = index_of.get(row.test_id)
            if earlier is None:
                index_of[row.test_id] = len(rows)
                kept_from[row.test_id] = run.started
                file_of[row.test_id] = source
                rows.append(row)
                if row.test_id in run.details:
                    details[row.test_id] = run.details[row.test_id]
                continue
            duplicates += 1
            pair = (file_of[row.test_id], source)
            shared[pair] = shared.get(pair, 0) + 1
            old = details.get(row.test_id) or case_from_row(rows[earlier])
            new = run.details.get(row.test_id) or case_from_row(row)
            if old.outcome is new.outcome and not new.reruns:
                continue
            if old.outcome is not new.outcome:
                differed.append(
                    f"{row.test_id}: {old.outcome} in {pair[0]}, {new.outcome} in {source}"
                )
            if _same_pass(old, new):
                # The JUnit and the pytest-json-report of one run: JUnit writes a non-strict
                # xpass as a pass, the JSON says what it was
                if old.outcome is Outcome.PASSED:
                    rows[earlier] = row
                    details[row.test_id] = new
                continue
            if started_before(run.started, kept_from[row.test_id]):
                # read later, run earlier (a retried CI job's files named out of time order):
                # this file holds the earlier attempt
                merged = _as_retry(new, old)
            else:
                merged = _as_retry(old, new)
                kept_from[row.test_id] = run.started
            rows[earlier] = row_of(merged)
            details[row.test_id] = merged
    if duplicates:
        warnings += _duplicates_said(duplicates, shared, differed)
        warnings += _whole_runs(runs)
    fmts = sorted({r.fmt for r in runs})
    # (a shard that was interrupted leaves the run unfinished; its file is named in a warning)
    interrupted = next((r.interrupted for r in runs if r.interrupted), "")
    return SuiteRun(
        rows=tuple(rows),
        details=details,
        sources=tuple(s for r in runs for s in r.sources),
        fmt="+".join(fmts),
        declared=declared,
        warnings=tuple(warnings),
        interrupted=interrupted,
        started=earliest_start(r.started for r in runs),  # (the first shard's start)
    )


def _duplicates_said(
    duplicates: int, shared: Mapping[tuple[str, str], int], differed: Sequence[str]
) -> list[str]:
    """The warnings for test results found in more than one file: which files (a shard copied
    beside itself, a folder given with one of its files), and the tests whose copies disagree,
    which are read as attempts of one test in the files' order, the later one final."""
    pairs = sorted(shared.items(), key=lambda item: -item[1])
    named = "; ".join(f"{n} in both {a} and {b}" for (a, b), n in pairs[:3])
    more = f"; and {len(pairs) - 3} more pairs of files" if len(pairs) > 3 else ""
    said = [
        f"{plural(duplicates, 'test result')} appeared in more than one file ({named}{more}); "
        "merged"
    ]
    if differed:
        shown = "; ".join(differed[:3]) + ("; …" if len(differed) > 3 else "")
        said.append(
            f"{plural(len(differed), 'test')} had different results in different files, read "
            f"as attempts of one test, the later file's final: {shown}"
        )
    return said


def _whole_runs(runs: Sequence[SuiteRun]) -> list[str]:
    """Three or more files that each hold (nearly) every test are not shards: a job retried,
    or a folder of separate runs (a history given as the results or the baseline), which the
    merge reads as attempts of one run. Said, with what to give instead."""
    if len(runs) < 3:
        return []
    ids = [set(run.columns.test_ids) for run in runs]
    union = set().union(*ids)
    if not union or min(map(len, ids)) < 0.9 * len(union):
        return []
    names = ", ".join(s for run in runs[:3] for s in run.sources[:1])
    more = f" and {len(runs) - 3} more" if len(runs) > 3 else ""
    return [
        f"{len(runs)} files each hold (nearly) every test ({names}{more}): read as attempts "
        "of one run, each test's latest result kept; if they are separate runs, give the "
        "latest alone, and the folder as --history"
    ]


def _same_pass(old: TestCase, new: TestCase) -> bool:
    """One a pass and the other an xpass, with no earlier attempts: one result in two formats."""
    return (
        {old.outcome, new.outcome} == {Outcome.PASSED, Outcome.XPASSED}
        and not old.reruns
        and not new.reruns
    )


def _as_retry(old: TestCase, new: TestCase) -> TestCase:
    """``new`` is the final result; ``old`` becomes an earlier attempt of it."""
    failed_before = old.outcome in FAILING
    if new.outcome is Outcome.PASSED and failed_before:
        kinds = (ProblemKind.FLAKY_FAILURE, ProblemKind.FLAKY_ERROR)
    else:
        kinds = (ProblemKind.RERUN_FAILURE, ProblemKind.RERUN_ERROR)
    attempts: list[Problem] = list(old.reruns)
    for p in old.problems:
        if p.kind is ProblemKind.FAILURE:
            attempts.append(replace(p, kind=kinds[0]))
        elif p.kind is ProblemKind.ERROR:
            attempts.append(replace(p, kind=kinds[1]))
    return replace(new, reruns=(*attempts, *new.reruns))
