"""Render a ``TriageReport`` as plain text or Markdown (and, from ``render_dict``, a JSON-ready
dict).

Everything rendered goes through ``netra_diag.redaction.scrub_shown``, with the values of
secret-named environment variables (``JWT_SECRET_KEY``, …): failure messages and captured output
can contain tokens and secrets (also as ``NAME=value``), and a triage report is pasted into
tickets.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from math import isfinite
from typing import TYPE_CHECKING

from netra_diag.redaction import environment_secrets, scrub_shown
from netra_diag.suites.categories import category_label
from netra_diag.suites.diff import SWAPPED_AFTER_S
from netra_diag.suites.findings_compare import swapped_finding
from netra_diag.suites.model import suite_label
from netra_diag.suites.render_dict import report_to_dict
from netra_diag.suites.render_sections import closing_sections, cut_line, listed
from netra_diag.suites.subtests import noted_summary
from netra_diag.wording import plural

if TYPE_CHECKING:
    from netra_diag.suites.diff import RunDiff
    from netra_diag.suites.triage import TriageReport

__all__ = [
    "flaky_histories",
    "markdown_literal",
    "report_to_dict",
    "report_to_markdown",
    "report_to_text",
]


def _run_line(report: TriageReport) -> str:
    run = report.current
    files = ", ".join(run.sources[:3]) + (" …" if len(run.sources) > 3 else "")
    summary = noted_summary(
        run.counts,
        sum(s.failed_subtests for s in report.suites),
        sum(s.tests_with_failed_subtests for s in report.suites),
    )
    return f"{plural(len(run.rows), 'test')} from {files} [{run.fmt}]: {summary}"


# Columns of the suite table never cut: what passed and failed, and what changed ("1/10 pass
# (10 %); 7 failed, 3 errors (1 after t…" hid the counts the row is there to give).
_WHOLE = frozenset({"current", "changed"})


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    body = [list(header), *[list(r) for r in rows]]
    widths = [max(len(r[i]) for r in body) for i in range(len(header))]
    widths = [w if name in _WHOLE else min(w, 48) for w, name in zip(widths, header, strict=True)]
    out = []
    for n, r in enumerate(body):
        cells = [
            (c if len(c) <= w else c[: w - 1] + "…").ljust(w)
            for c, w in zip(r, widths, strict=True)
        ]
        out.append("  " + "  ".join(cells).rstrip())
        if n == 0:
            out.append("  " + "  ".join("-" * w for w in widths))
    return out


def _suite_rows(report: TriageReport) -> list[list[str]]:
    return [
        [
            suite_label(s.suite),
            str(s.tests),
            s.baseline_text() if report.baseline is not None else "-",
            s.current_text(),
            f"{s.duration:.2f} s",
            s.change_text() if report.baseline is not None else "-",
            "; ".join(s.causes) or "-",
            "; ".join(s.weak_passes) or "-",
        ]
        for s in report.suites
    ]


_SUITE_HEADER = (
    "suite",
    "tests",
    "baseline",
    "current",
    "time",
    "changed",
    "causes",
    "weak passes",
)


def report_to_text(report: TriageReport, *, max_tests: int = 5) -> str:
    lines = [f"TRIAGE: {report.headline or 'nothing to report'}", ""]
    lines.append(f"run      : {_run_line(report)}")
    if report.baseline is not None:
        lines.append(
            f"baseline : {plural(len(report.baseline.rows), 'test')}: "
            f"{report.baseline.counts.summary()}"
        )
    if report.critical_observed is not None:
        missing = report.critical_missing or ()
        lines.append(
            "critical events: "
            + (f"never observed: {', '.join(missing)}" if missing else "all five observed")
        )
    if len(report.findings) > 1:
        lines += ["", "Findings, worst first"]
        for f in report.findings:
            lines.append(f"  - {f.phrase}" + (f" ({f.detail})" if f.detail else ""))
    lines += ["", "Suites"]
    table = _table(_SUITE_HEADER[:6], [row[:6] for row in _suite_rows(report)])
    lines += table[:2]
    for status, line in zip(report.suites, table[2:], strict=True):
        lines.append(line)
        if status.causes:
            lines.append(f"      causes: {'; '.join(status.causes)}")
        if status.weak_passes:
            lines.append(f"      weak passes: {'; '.join(status.weak_passes)}")
    failing = sum(c.counted for c in report.clusters)  # (each test once)
    if report.clusters:
        lines += [
            "",
            # (clusters, not signatures: one signature whose tests' recordings show different
            # causes is split into one cluster per cause)
            f"Causes: {plural(len(report.clusters), 'cluster')} of "
            f"{plural(failing, 'failing test')}",
        ]
        histories = flaky_histories(report)
        for i, c in enumerate(report.clusters, 1):
            lines.append(
                f"  [{i}] {c.size}× {category_label(c.category)} — phase: {c.phase}"
                + (f" — suites: {', '.join(c.suites)}" if c.suites else "")
            )
            lines.append(f"      {c.because}")
            lines.append(f"      category: {c.category_reason}")
            lines.append(f"      representative: {c.representative}")
            others = [t for t in c.tests if t != c.representative]
            if others:
                lines.append(f"      also: {listed(others, max_tests)}")
            if flaky := _flaky_among(histories, c.tests):
                lines.append(f"      flaky in the history: {listed(flaky, max_tests)}")
            for tid in c.tests[:max_tests]:
                for rec in report.recordings.get(tid, ()):
                    lines.append(f"      recording {rec.path}: {rec.summary()}")
                    lines += [f"        contract: {note}" for note in rec.contract_findings[:3]]
    d = report.diff
    if d is not None:
        lines += ["", "Since baseline"]
        lines += [f"  note: {phrase}" for phrase in _swapped(report)]
        for label, items in _diff_sections(d, _unsettled(report)):
            lines.append(f"  {label} ({len(items)}): {listed(list(items), max_tests)}")
        lines += [f"  {slower}" for slower in _slower(d, max_tests)]
        if not d.changed and not d.duration_regressions and not d.failing_added:
            lines.append("  no change")
    for title, entries in closing_sections(report, max_tests):
        lines += ["", title, *[f"  {entry}" for entry in entries]]
    return _scrubbed("\n".join(lines)) + "\n"


def _swapped(report: TriageReport) -> list[str]:
    """That the baseline ran long after this run (nothing if it did not)."""
    later = report.diff.baseline_later_s if report.diff is not None else 0.0
    return [swapped_finding(later).phrase] if later >= SWAPPED_AFTER_S else []


def _diff_sections(d: RunDiff, histories: dict[str, str]) -> list[tuple[str, tuple[str, ...]]]:
    """The baseline diff's non-empty lists, labelled, in the order a reader wants them;
    ``histories``: the letters of the tests whose history goes back and forth (``_unsettled``)."""
    sections = (
        ("new failures", d.new_failures),
        ("  of which flaky in the history", tuple(_flaky_among(histories, d.new_failures))),
        ("failing, not in baseline", d.failing_added),
        ("still failing", d.still_failing),
        ("  of which for a new cause", d.cause_changed),
        ("fixed", d.fixed),
        # (a test that flips from run to run passing now is no evidence of a fix)
        ("  of which flaky in the history", tuple(_flaky_among(histories, d.fixed))),
        ("newly flaky", d.newly_flaky),
        ("now skipped", d.newly_skipped),
        ("removed", d.removed),
        ("added", d.added),
        # (a removed test and an added one defined at one place: see suites.renames)
        (
            "  possibly renamed, same file and line",
            tuple(f"{a} -> {b}" for a, b in d.possibly_renamed),
        ),
    )
    return [(label, tuple(items)) for label, items in sections if items]


def flaky_histories(report: TriageReport) -> dict[str, str]:
    """The letters of each test the history found flaky, by test id (none without history)."""
    if report.flakiness is None:
        return {}
    return {ft.test_id: ft.history for ft in report.flakiness.flaky}


def _unsettled(report: TriageReport) -> dict[str, str]:
    return report.flakiness.unsettled() if report.flakiness is not None else {}


def _flaky_among(histories: dict[str, str], test_ids: Sequence[str]) -> list[str]:
    """Which of ``test_ids`` are flaky, with their letters: "test_x (PFPPF)"."""
    unique = dict.fromkeys(test_ids)  # (a test may sit in two clusters)
    return [f"{tid} ({histories[tid]})" for tid in unique if tid in histories]


def _slower(d: RunDiff, max_tests: int) -> list[str]:
    lines = [
        f"slower: {r.test_id} {r.before:.2f} s -> {r.after:.2f} s ({_times(r.factor)})"
        for r in d.duration_regressions[:max_tests]
    ]
    return lines + [f"slower: {more}" for more in cut_line(len(d.duration_regressions), max_tests)]


def _times(factor: float) -> str:
    # (a baseline that took 0.000 s, as written, has no ratio: "(infx)" said nothing)
    return f"{factor:.1f}x" if isfinite(factor) else "from under 1 ms"


def _recorded_lines(report: TriageReport, max_tests: int) -> list[tuple[bool, str]]:
    """(nested, text) lines: each failing test's recordings (up to ``max_tests`` a cause) and
    the first of their contract findings, for renderings without the text report's layout."""
    lines: list[tuple[bool, str]] = []
    for c in report.clusters:
        for tid in c.tests[:max_tests]:
            for rec in report.recordings.get(tid, ()):
                # ("recording" between: "test_expired_token: /path" read as a secret's value)
                lines.append((False, f"{tid}: recording {rec.path}: {rec.summary()}"))
                lines += [(True, f"contract: {note}") for note in rec.contract_findings[:3]]
    return lines


# Failure messages are full of what Markdown reads as markup: "<n>" placeholders and "<Mock …>"
# reprs are raw HTML to a renderer (dropped, in GitHub and in notebooks), "__init__" is bold, "*"
# emphasis, "~~" strikes through (GFM). Every ASCII punctuation character may be backslash-escaped
# in CommonMark; "_" inside a word (test_auth_flow) cannot open emphasis and is left as it is, so
# the source stays readable.
_MD_SPECIAL = re.compile(r"([\\`*~\[\]<>&|]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")


# "@name" and "@org/team" in a failure message ("mark it @pytest.mark.asyncio") would notify
# that GitHub user or team from a pull request comment. A backslash does not stop it (GitHub
# finds mentions in the rendered text); a code span does, and copies as written.
_MENTION = re.compile(r"(?<![\w`])@[A-Za-z0-9][\w-]*(?:[./][\w-]+)*")


def markdown_literal(text: str) -> str:
    """``text`` as literal Markdown text on one line (a table cell, list item or headline),
    with no "@" mention that would notify anyone.

    Scrubbed before escaping: an escaped token ("eyJ\\_…") would no longer look like one."""
    plain = _scrubbed(text).replace("\n", " ")
    if "@" not in plain:
        return _MD_SPECIAL.sub(r"\\\1", plain)
    out, end = [], 0
    for mention in _MENTION.finditer(plain):
        out += [_MD_SPECIAL.sub(r"\\\1", plain[end : mention.start()]), f"`{mention[0]}`"]
        end = mention.end()
    out.append(_MD_SPECIAL.sub(r"\\\1", plain[end:]))
    return "".join(out)


def _md_code(text: str) -> str:
    """``text`` as a code span in a table cell. Only the cell separator is escaped there (GFM);
    a backtick in the text (a test id like ``test_x[tick`s]``) is kept, inside a fence of one
    backtick more than its longest run (CommonMark), padded where it would touch the fence."""
    body = _scrubbed(text).replace("|", "\\|").replace("\n", " ")
    fence = "`" * (max(map(len, re.findall(r"`+", body)), default=0) + 1)
    if body.startswith("`") or body.endswith("`"):
        body = f" {body} "
    return f"{fence}{body}{fence}"


def report_to_markdown(report: TriageReport, *, max_tests: int = 5) -> str:
    lines = [f"**{markdown_literal(report.headline or 'nothing to report')}**", ""]
    lines.append(f"- run: {markdown_literal(_run_line(report))}")
    if report.baseline is not None:
        lines.append(f"- baseline: {report.baseline.counts.summary()}")
    if report.critical_missing:
        missing = ", ".join(report.critical_missing)
        lines.append(f"- critical events never observed: {markdown_literal(missing)}")
    lines += ["", "| " + " | ".join(_SUITE_HEADER) + " |", "|" + "---|" * len(_SUITE_HEADER)]
    lines += [
        "| " + " | ".join(markdown_literal(c) for c in row) + " |" for row in _suite_rows(report)
    ]
    if report.clusters:
        lines += [
            "",
            "| # | tests | category | phase | why grouped | representative |",
            "|---|---|---|---|---|---|",
        ]
        for i, c in enumerate(report.clusters, 1):
            label = markdown_literal(category_label(c.category))
            lines.append(
                f"| {i} | {c.size} | {label} | {c.phase} | {markdown_literal(c.because)} "
                f"| {_md_code(c.representative)} |"
            )
        flaky = _flaky_among(flaky_histories(report), [t for c in report.clusters for t in c.tests])
        if flaky:
            # (a failure of a test known to flip may be its flakiness, not this change)
            lines += [
                "",
                f"Failing tests flaky in the history: {markdown_literal(listed(flaky, max_tests))}",
            ]
        recorded = _recorded_lines(report, max_tests)
        if recorded:
            lines += ["", "Recordings of failing tests:"]
            lines += [
                ("  - " if nested else "- ") + markdown_literal(text) for nested, text in recorded
            ]
    d = report.diff
    if d is not None:
        lines += ["", "Since baseline:"]
        lines += [f"- note: {markdown_literal(phrase)}" for phrase in _swapped(report)]
        for label, items in _diff_sections(d, _unsettled(report)):
            nested = label.startswith(" ")  # ("of which …": a sub-item of the one before)
            bullet = "  - " if nested else "- "
            shown = markdown_literal(listed(list(items), max_tests))
            lines.append(f"{bullet}{label.strip().capitalize()} ({len(items)}): {shown}")
        lines += [f"- {markdown_literal(slower)}" for slower in _slower(d, max_tests)]
        if not d.changed and not d.duration_regressions and not d.failing_added:
            lines.append("- no change")
    for title, entries in closing_sections(report, max_tests):
        lines += ["", markdown_literal(title) + ":"]
        lines += [f"- {markdown_literal(entry)}" for entry in entries]
    return _scrubbed("\n".join(lines)) + "\n"


def _scrubbed(text: str) -> str:
    """What every rendering shows (``netra_diag.redaction.scrub_shown``)."""
    return scrub_shown(text, environment_secrets())
