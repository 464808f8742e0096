"""Triage a test run: what is failing, why, and what is new — worst finding first.

``triage(results, baseline=None, recordings=None, history=None)`` reads the results (JUnit XML
or pytest-json, one file or shards), groups failures into causes, compares with a baseline, links
recordings, looks for passes that prove little, and returns a ``TriageReport`` whose ``headline``
never calls a run successful while anything fails (PROTOCOL.md §10 shows the report it replaces).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netra_diag.errors import ReportParseError, UsageError
from netra_diag.events.model import CRITICAL_EVENTS
from netra_diag.suites.align import align_names
from netra_diag.suites.background import SPAWN_MIN_BYTES
from netra_diag.suites.baseline_overlap import baseline_overlap_notes
from netra_diag.suites.clusters import Cluster, cluster_failures
from netra_diag.suites.diff import RunDiff, diff_runs
from netra_diag.suites.findings import Finding, with_findings
from netra_diag.suites.flaky import (
    FlakinessReport,
    assess_flakiness,
    history_entries,
    is_outage,
    ordered_history,
)
from netra_diag.suites.gc_pause import pause_gc
from netra_diag.suites.history import unreadable_note
from netra_diag.suites.junit_cases import FailureSink
from netra_diag.suites.links import Recording, find_recordings, link_recordings
from netra_diag.suites.merge import load_results
from netra_diag.suites.model import SuiteRun
from netra_diag.suites.remediation import SuiteStatus, suite_statuses, tally_suites
from netra_diag.suites.signatures import use_environment_secrets
from netra_diag.suites.signing import Signing
from netra_diag.suites.stopped_early import stopped_at_a_failure
from netra_diag.suites.triage_inputs import (
    History,
    ReadProgress,
    ReadProgressCounter,
    Results,
    check_history,
    check_not_empty,
    check_results,
    file_sizes,
    given_paths,
    result_files,
)
from netra_diag.suites.vacuous import EVENTS_PROPERTY, VacuousSignal, find_vacuous
from netra_diag.wording import plural

__all__ = ["EVENTS_PROPERTY", "Finding", "ReadProgress", "TriageReport", "triage"]


@dataclass(frozen=True)
class TriageReport:
    current: SuiteRun
    baseline: SuiteRun | None
    clusters: tuple[Cluster, ...]
    suites: tuple[SuiteStatus, ...]
    diff: RunDiff | None
    vacuous: tuple[VacuousSignal, ...]
    flakiness: FlakinessReport | None
    recordings: Mapping[str, tuple[Recording, ...]] = field(default_factory=dict)
    critical_observed: tuple[str, ...] | None = None  # None: no evidence either way
    outage: str = ""
    findings: tuple[Finding, ...] = ()
    # What the inputs did not say themselves: recordings that match no test of this run or
    # contradict its outcomes, a baseline of another suite (the results' own are in ``current``).
    notes: tuple[str, ...] = ()

    @property
    def warnings(self) -> tuple[str, ...]:
        """The results' warnings, then ``notes``."""
        return (*self.current.warnings, *self.notes)

    @property
    def headline(self) -> str:
        """The worst findings first, at most three of different kinds, in one line."""
        phrases: list[str] = []
        kinds: set[str] = set()
        for f in self.findings:
            if (f.kind and f.kind in kinds) or f.phrase in phrases:
                continue
            kinds.add(f.kind)
            phrases.append(f.phrase)
        return "; ".join(phrases[:3])

    @property
    def weak_signals(self) -> tuple[str, ...]:
        """What says that passes here prove little: auth bypassed in recordings, critical events
        never observed, only skips, ~0 ms passes against a network service, … (worst first)."""
        return tuple(f.phrase for f in self.findings if f.weak)

    @property
    def failing(self) -> int:
        c = self.current.counts
        return c.failed + c.errors

    @property
    def critical_missing(self) -> tuple[str, ...] | None:
        if self.critical_observed is None:
            return None
        return tuple(e for e in CRITICAL_EVENTS if e not in self.critical_observed)

    def to_dict(self) -> dict[str, Any]:
        from netra_diag.suites.render import report_to_dict

        return report_to_dict(self)

    def to_text(self, *, max_tests: int = 5) -> str:
        from netra_diag.suites.render import report_to_text

        return report_to_text(self, max_tests=_max_tests(max_tests))

    def to_markdown(self, *, max_tests: int = 5) -> str:
        from netra_diag.suites.render import report_to_markdown

        return report_to_markdown(self, max_tests=_max_tests(max_tests))

    def to_github(self, *, max_tests: int = 5) -> str:
        """GitHub Actions workflow commands: an annotation on each failing test's line."""
        from netra_diag.suites.render_github import report_to_github

        return report_to_github(self, max_tests=_max_tests(max_tests))

    def __repr__(self) -> str:
        """One short line (what a notebook cell ending with ``report`` shows as text):
        ``TriageReport(headline='…', 24 failing tests in 21 causes)``, scrubbed. The generated
        repr would print the whole run, failure texts and the tokens they quote included."""
        from netra_diag.redaction import scrub

        causes = plural(len(self.clusters), "cause")
        # (tests, not the runner's failed + errors: a test that failed and then errored in
        # teardown is in both)
        failing = sum(c.counted for c in self.clusters)
        return (
            f"TriageReport(headline={scrub(self.headline)!r}, "
            f"{plural(failing, 'failing test')} in {causes}, "
            f"{plural(len(self.current.rows), 'test')} in all)"
        )

    def _repr_markdown_(self) -> str:
        """The Markdown report (:meth:`to_markdown`, scrubbed), drawn by a notebook."""
        return self.to_markdown()


def _max_tests(value: object) -> int:
    """``max_tests`` of the renderings: test ids listed per cluster or diff line, at least 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise UsageError(f"max_tests must be a whole number >= 1, got {value!r}")
    return value


def _load(
    results: Results,
    on_failures: FailureSink | None = None,
    on_file: Callable[[Path], None] | None = None,
) -> SuiteRun:
    if isinstance(results, SuiteRun):
        return results
    return load_results(results, on_failures=on_failures, on_file=on_file)


# Results at least this large sign their failures in a child process (a fork costs a few
# milliseconds; smaller runs sign theirs in less); where forking is unsafe (other threads run, as
# in a Jupyter kernel), results at least SPAWN_MIN_BYTES large sign theirs in a fresh interpreter.
_FORK_MIN_BYTES = 4 << 20


def _observed_events(
    run: SuiteRun, recordings: Mapping[str, Sequence[Recording]]
) -> tuple[str, ...] | None:
    seen: set[str] = set()
    evidence = False
    for case in run.details.values():
        for name, value in case.properties:
            if name == EVENTS_PROPERTY:
                evidence = True
                seen.update(v.strip() for v in value.split(",") if v.strip())
    for recs in recordings.values():
        for rec in recs:
            evidence = True
            seen.update(rec.event_types)
    if not evidence:
        return None
    # (only the five critical events: connection_established or error_message are no evidence)
    return tuple(e for e in CRITICAL_EVENTS if e in seen)


def triage(
    results: Results,
    baseline: Results | None = None,
    recordings: str | os.PathLike[str] | Mapping[str, Sequence[Recording]] | None = None,
    history: History | None = None,
    *,
    progress: ReadProgress | None = None,
) -> TriageReport:
    """Triage ``results`` (paths, a directory of shards, or a parsed ``SuiteRun``).

    ``baseline``: an earlier run to diff against. ``recordings``: a directory of cassettes written
    with ``--netra-record`` (or ``find_recordings``' result). ``history``: a directory with one
    results file (or shard folder) per earlier run, oldest first by name, for flakiness; or the
    earlier runs themselves, oldest first, each a ``SuiteRun`` or a results file or shard folder.
    ``progress``: told of each file as it is read (``ReadProgress``).
    Arguments of the wrong type raise ``UsageError`` naming the argument.
    """
    check_results("results", results)
    if baseline is not None:
        check_results("baseline", baseline)
    check_not_empty("recordings", recordings)
    if recordings is not None and not isinstance(recordings, str | os.PathLike | Mapping):
        raise UsageError(
            "triage: recordings must be a directory or find_recordings()' result, got "
            + type(recordings).__name__
        )
    if history is not None:
        check_history(history)
    with pause_gc():  # see netra_diag.suites.gc_pause: a tenth of the time on 100k-case runs
        use_environment_secrets()  # (before any helper is forked: it inherits them)
        return _triage(results, baseline, recordings, history, progress)


def _triage(
    results: Results,
    baseline: Results | None,
    recordings: str | os.PathLike[str] | Mapping[str, Sequence[Recording]] | None,
    history: History | None,
    progress: ReadProgress | None,
) -> TriageReport:
    # Signing the failures is the largest piece of work after reading: for large results it
    # goes on in a child process, on the other core, as the reader finds them.
    files = result_files(results)
    sizes = file_sizes(files)
    size = sum(sizes.values())
    tracker = None
    if progress is not None:
        files += result_files(baseline)
        if isinstance(history, str | os.PathLike):
            with contextlib.suppress(OSError):  # reading will say what is wrong
                files += result_files(history_entries(history, besides=given_paths(results)))
        elif history is not None:
            files += result_files([run for run in history if not isinstance(run, SuiteRun)])
        if isinstance(recordings, str | os.PathLike) and os.path.isdir(recordings):
            # (reading cassettes, their contracts checked, can take longer than the results)
            files += sorted(Path(recordings).rglob("*.jsonl"))
        sizes.update(file_sizes([f for f in files if f not in sizes]))
        tracker = ReadProgressCounter(progress, files, sizes)
    signing = Signing(
        fork=size >= _FORK_MIN_BYTES,
        spawn=size >= SPAWN_MIN_BYTES,
        expected_bytes=size + (1 << 20),
    )
    try:
        report = _triage_signing(results, baseline, recordings, history, signing, tracker)
    finally:
        signing.cancel()  # (nothing left to stop once its result is in)
    if tracker is not None:
        tracker.finish()
    return report


def _triage_signing(
    results: Results,
    baseline: Results | None,
    recordings: str | os.PathLike[str] | Mapping[str, Sequence[Recording]] | None,
    history: History | None,
    signing: Signing,
    on_file: Callable[[Path], None] | None,
) -> TriageReport:
    current = _load(results, signing.feed, on_file)
    signing.done_feeding()
    base = _load(baseline, on_file=on_file) if baseline is not None else None
    if recordings is None:
        recs: dict[str, tuple[Recording, ...]] = {}
    elif isinstance(recordings, Mapping):
        recs = {k: tuple(v) for k, v in recordings.items()}
    else:
        recs = {k: tuple(v) for k, v in find_recordings(recordings, on_file).items()}
    recs, notes = link_recordings(current, recs, source=_source_name(recordings))
    if base is not None:
        # (how the baseline's files were read: shards merged, a file cut short, ...)
        notes += [f"baseline: {w}" for w in base.warnings]
        base, moved = align_names(base, current, "the baseline")
        notes += [moved] if moved else _baseline_notes(current, base)
        current = stopped_at_a_failure(current, base)
        notes += baseline_overlap_notes(results, baseline)
    diff = diff_runs(base, current) if base is not None else None
    vacuous = tuple(find_vacuous(current, recs))
    flakiness = None
    if history is not None:
        if isinstance(history, str | os.PathLike):
            runs, order = ordered_history(history, besides=given_paths(results), on_file=on_file)
            notes += [order] if order else []
        else:  # (runs given one by one are taken in the order given)
            runs, note = _listed_history(history, on_file)
            notes += [note] if note else []
        runs, renamed = _aligned_history(current, runs)
        flakiness = assess_flakiness([*runs, current])
        notes += renamed + _history_notes(current, runs)
    tallies = tally_suites(current)
    observed = _observed_events(current, recs)
    signatures = signing.result(current.failing())
    clusters = tuple(cluster_failures(current, recs, signatures=signatures))
    suites = tuple(suite_statuses(current, base, clusters, diff, vacuous, tallies))
    outage = is_outage(current, signatures=signatures)
    report = TriageReport(
        current=current,
        baseline=base,
        clusters=clusters,
        suites=suites,
        diff=diff,
        vacuous=vacuous,
        flakiness=flakiness,
        recordings=recs,
        critical_observed=observed,
        outage=outage,
        notes=tuple(notes),
    )
    return with_findings(report)


def _source_name(recordings: object) -> str:
    return os.fspath(recordings) if isinstance(recordings, str | os.PathLike) else "recordings"


def _aligned_history(
    current: SuiteRun, runs: Sequence[SuiteRun]
) -> tuple[list[SuiteRun], list[str]]:
    """The earlier runs with their tests named as this run names them, where pytest ran them
    from another directory (``netra_diag.suites.align``), and a note saying so (one for all)."""
    aligned = [align_names(run, current, "an earlier run") for run in runs]
    moved = [note for _, note in aligned if note]
    if not moved:
        return list(runs), []
    also = len(moved) - 1
    more = f" (and {plural(also, 'more earlier run')} alike)" if also else ""
    return [run for run, _ in aligned], [f"history: {moved[0]}{more}"]


def _listed_history(
    history: Sequence[SuiteRun | str | os.PathLike[str]], on_file: Callable[[Path], None] | None
) -> tuple[list[SuiteRun], str]:
    """Earlier runs given one by one, in that order; those that cannot be read are left out
    and named, as in a history folder (all of them unreadable: the first one's error)."""
    runs: list[SuiteRun] = []
    unreadable: list[ReportParseError] = []
    for entry in history:
        try:
            run = entry if isinstance(entry, SuiteRun) else load_results(entry, on_file=on_file)
        except ReportParseError as exc:
            unreadable.append(exc)
            continue
        runs.append(run)
    if unreadable and not runs:
        raise unreadable[0]
    return runs, unreadable_note(unreadable, len(runs)) if unreadable else ""


def _history_notes(current: SuiteRun, runs: Sequence[SuiteRun]) -> list[str]:
    """Earlier runs that share no test with this one (another suite, or pytest run from another
    directory: "tests.test_a::t" there, "test_a::t" here) say nothing of its tests' flakiness."""
    ids = set(current.columns.test_ids)
    if not ids:
        return []
    apart = [run for run in runs if run.rows and ids.isdisjoint(run.columns.test_ids)]
    if not apart:
        return []
    example = apart[0].rows[0].test_id
    return [
        f"history: {len(apart)} of {plural(len(runs), 'earlier run')} "
        f"{'shares' if len(apart) == 1 else 'share'} no test with this "
        f"run (e.g. {example!r} there; run from another directory, or another suite?): their "
        "tests' histories are apart from this run's"
    ]


def _baseline_notes(current: SuiteRun, base: SuiteRun) -> list[str]:
    """A baseline that shares no test with the run is another suite's: its diff says nothing."""
    ids = set(current.columns.test_ids)
    if not ids or not base.rows or not ids.isdisjoint(base.columns.test_ids):
        return []
    return [
        f"the baseline shares no test with this run ({plural(len(base.rows), 'test')} there, "
        f"{len(ids)} here): another suite's results? Its diff lists every test as removed "
        "or added"
    ]
