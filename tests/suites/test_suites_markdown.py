"""``TriageReport.to_markdown`` as a renderer shows it: failure text stays literal.

Rendered with mistune, the renderer nbconvert's HTML export uses (GitHub's and JupyterLab's
follow the same CommonMark rules for escapes and raw HTML).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import mistune
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from netra_diag.suites import triage
from netra_diag.suites.render import markdown_literal
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

_TAGS = re.compile(r"<[^>]+>")


def _shown(markdown: str) -> str:
    """The text a reader sees once ``markdown`` is rendered (tags dropped, entities decoded)."""
    rendered = mistune.html(markdown)
    assert isinstance(rendered, str)
    return html.unescape(_TAGS.sub("", rendered))


def _results(tmp_path: Path, message: str) -> Path:
    path = tmp_path / "r.xml"
    quoted = html.escape(message, quote=True)
    cases = "".join(
        f'<testcase classname="tests.e2e.test_x.TestX" name="test_{n}" time="0.5">'
        f'<failure message="{quoted}">E   {quoted}</failure></testcase>'
        for n in ("a", "b")
    )
    path.write_text(f'<testsuite name="e2e | staging" tests="2" failures="2">{cases}</testsuite>')
    return path


def test_placeholders_and_markup_characters_survive_rendering(tmp_path: Path) -> None:
    message = (
        "AssertionError: expected at least 1 agent_thinking event, received 0 from "
        "<MagicMock id='140234'> in __init__ of *stub* [fallback] a & b"
    )
    shown = _shown(triage(_results(tmp_path, message)).to_markdown())
    # The normalised message as the signature holds it: placeholders included.
    assert (
        "expected at least <n> agent_thinking event, received <n> from "
        "<MagicMock id='<n>'> in __init__ of *stub* [fallback] a & b"
    ) in shown
    assert "e2e | staging" in shown  # a "|" in a suite name does not split the table cell
    assert "tests.e2e.test_x.TestX::test_a" in shown


def test_raw_markdown_keeps_test_ids_readable(tmp_path: Path) -> None:
    markdown = triage(_results(tmp_path, "AssertionError: x")).to_markdown()
    # Underscores inside words cannot open emphasis: left unescaped in the source.
    assert "test_x.TestX::test_a" in markdown
    assert "\\_" not in markdown


def test_tokens_glued_to_words_leave_no_trace(tmp_path: Path) -> None:
    # A token with "_" and "-" in it: escaping before scrubbing would hide it from the scrubber.
    token = next(
        t
        for t in (
            mint_token(f"user_{n}", key=LOCAL_DEV_SECRET, now=1_700_000_000.0) for n in range(200)
        )
        if "_" in t and "-" in t
    )
    markdown = triage(_results(tmp_path, f"AssertionError: rejected _{token}_")).to_markdown()
    shown = _shown(markdown)
    assert "rejected _<token>" in shown
    # Not even in pieces: normalising the message used to mangle a token glued to a word past
    # what the scrubber recognises, leaving its segments in the report.
    for segment in token.split("."):
        for start in range(0, len(segment) - 12, 6):
            assert segment[start : start + 12] not in markdown


# Markdown's punctuation, often: random unicode alone rarely writes "~~x~~" or "[a](b)".
_MARKUP = st.sampled_from(list("~*_`[](){}<>&|\\#!-+=.:;/'\"x1a ")) | st.characters(
    codec="utf-8", exclude_categories=("Cs", "Cc")
)


@settings(max_examples=500)
@given(st.text(_MARKUP, max_size=40))
@example("~~gone~~ [link](x) ![img](y) <b>x</b> **bold** __init__ `code` &lt; a|b \\*")
@example("<n> <Mock id='1'> *args, **kwargs -> _private_ http://127.0.0.1:8000/ws")
def test_any_text_renders_as_itself(text: str) -> None:
    # Where the report puts escaped text: after a list item's label, and in a table cell.
    text = " ".join(text.split())  # one line, as the report's cells are
    assume("eyJ" not in text and "ZXlK" not in text)  # tokens are scrubbed, on purpose
    literal = markdown_literal(text)
    item = _shown(f"- run: {literal}\n")
    assert " ".join(item.split()) == " ".join(f"run: {text}".split())
    cell = _shown(f"| a | b |\n|---|---|\n| {literal} | x |\n")
    assert " ".join(cell.split()) == " ".join(f"a b {text} x".split())


def test_a_test_id_with_backticks_is_shown_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "r.xml"
    path.write_text(
        '<testsuite name="s"><testcase classname="t" name="test_odd[tick`s]">'
        '<failure message="AssertionError: x">E x</failure></testcase></testsuite>'
    )
    assert "t::test_odd[tick`s]" in _shown(triage(path).to_markdown())


def test_markdown_has_what_the_text_report_has(tmp_path: Path) -> None:
    # The flakiness section and every list of the baseline diff, as in the text rendering.
    def run(name: str, cases: dict[str, str]) -> Path:
        body = "".join(
            f'<testcase classname="k" name="{test}">'
            + {"P": "", "F": '<failure message="AssertionError: no"/>', "S": "<skipped/>"}[state]
            + "</testcase>"
            for test, state in cases.items()
        )
        path = tmp_path / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(f'<testsuite name="s">{body}</testsuite>')
        return path

    for n, flip in enumerate("PFPF"):
        run(f"history/{n}.xml", {"flaky": flip, "gone": "P"})
    base = run("base.xml", {"flaky": "P", "to_skip": "P", "gone": "P"})
    current = run("current.xml", {"flaky": "F", "to_skip": "S", "new": "P"})
    shown = _shown(triage(current, baseline=base, history=tmp_path / "history").to_markdown())
    for expected in (
        "Now skipped (1): k::to_skip",
        "Removed (1): k::gone",
        "Added (1): k::new",
        "Flakiness: 1 flaky test over 5 runs",  # the history and this run
        "k::flaky: PFPFF",
    ):
        assert expected in shown


def test_a_long_message_is_shown_cut_with_a_mark(tmp_path: Path) -> None:
    shown = _shown(triage(_results(tmp_path, "AssertionError: " + "L" * 500)).to_markdown())
    # (its head and its end, with the mark between)
    assert "L … L" in shown and "L" * 500 not in shown
