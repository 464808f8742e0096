"""The bulk JUnit reader gives the streaming reader's result, or leaves the document to it.

``netra_diag.suites.junit_scan`` splits the text instead of parsing it; these tests generate
JUnit-shaped documents of many forms (nesting, attribute quoting and order, entities and character
references, line ends, children with and without elements inside, Surefire reruns, properties,
duplicates) and check that whenever the bulk reader returns a run, it is the very run the
streaming expat reader builds — and that ``parse_junit`` on a file goes the bulk way for the
common shape and the streaming way for everything else, with the same errors.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netra_diag.errors import ReportParseError
from netra_diag.suites import background, junit, parse_junit
from netra_diag.suites.junit_scan import BulkScan, scan_junit
from netra_diag.suites.junit_scan_children import unescape
from netra_diag.suites.model import SuiteRun
from netra_diag.suites.xmlcheck import check_xml

_CHILD_TAGS = [
    "failure",
    "error",
    "skipped",
    "system-out",
    "system-err",
    "properties",
    "rerunFailure",
    "flakyFailure",
    "rerunError",
    "x",
]
_GRANDCHILD_TAGS = ["property", "stackTrace", "system-out", "y"]
_TEXT = st.lists(
    st.sampled_from([*"ab \n\t\r<>&'\"é;#x1:/.E", "\u2028", "\x85", "]]", "\r\n"]),
    max_size=12,
).map("".join)
_NAME_TEXT = st.text(alphabet=st.sampled_from(list("abc_.:- 1<&'\"\t\n")), max_size=6)


def _escape_text(text: str, refs: bool) -> str:
    out = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if refs:  # character references instead, where they mean the same
        out = out.replace("é", "&#233;").replace("\t", "&#x9;")
    return out


def _escape_attr(value: str, quote: str, refs: bool) -> str:
    out = value.replace("&", "&amp;").replace("<", "&lt;")
    out = out.replace(quote, "&quot;" if quote == '"' else "&apos;")
    if refs:
        out = out.replace("\n", "&#10;").replace("\t", "&#9;")
    return out


@st.composite
def _attrs(draw: st.DrawFn, names: list[str], plain: bool) -> str:
    chosen = draw(st.lists(st.sampled_from(names), unique=True, max_size=len(names)))
    parts = []
    for name in chosen:
        value = draw(_NAME_TEXT)
        quote = '"' if plain else draw(st.sampled_from(['"', "'"]))
        refs = draw(st.booleans())
        space = " " if plain else draw(st.sampled_from([" ", "\n  ", "\t"]))
        eq = "=" if plain else draw(st.sampled_from(["=", " = "]))
        parts.append(f"{space}{name}{eq}{quote}{_escape_attr(value, quote, refs)}{quote}")
    return "".join(parts)


@st.composite
def _element(draw: st.DrawFn, tags: list[str], depth: int) -> str:
    tag = draw(st.sampled_from(tags))
    attrs = draw(_attrs(["message", "type", "name", "value"], plain=False))
    if draw(st.integers(0, 4)) == 0:
        return f"<{tag}{attrs}/>"
    refs = draw(st.booleans())
    pieces = [_escape_text(draw(_TEXT), refs)]
    if depth < 2:
        for inner in draw(st.lists(_element(_GRANDCHILD_TAGS, depth + 1), max_size=2)):
            pieces += [inner, _escape_text(draw(_TEXT), refs)]
    return f"<{tag}{attrs}>{''.join(pieces)}</{tag}>"


@st.composite
def _testcase(draw: st.DrawFn, layout: tuple[str, ...]) -> str:
    plain = draw(st.integers(0, 5)) > 0  # mostly the layout the column split handles
    if plain:
        values = [
            draw(st.sampled_from(["a", "b", "c.d", "same", "k.m", "1.5", "0", "x&y", "é"]))
            for _ in layout
        ]
        attrs = "".join(
            f' {n}="{_escape_attr(v, chr(34), False)}"' for n, v in zip(layout, values, strict=True)
        )
    else:
        attrs = draw(
            _attrs(["name", "classname", "time", "file", "line", "status", "class"], False)
        )
    children = draw(st.lists(_element(_CHILD_TAGS, 1), max_size=3))
    if not children and draw(st.booleans()):
        return f"<testcase{attrs}{draw(st.sampled_from(['/', ' /']))}>"
    between = draw(st.sampled_from(["", "\n", "\n  ", "text"]))
    return f"<testcase{attrs}>{between}{between.join(children)}{between}</testcase>"


@st.composite
def junit_documents(draw: st.DrawFn) -> str:
    layout = draw(
        st.sampled_from(
            [
                ("classname", "name", "file", "line", "time"),
                ("classname", "name", "time"),
                ("name", "classname", "time"),
                ("name", "time"),
                ("classname", "name", "status"),
            ]
        )
    )
    cases = draw(st.lists(_testcase(layout), max_size=8))
    # Suites around and between them, nested sometimes.
    body: list[str] = []
    open_suites = 0
    for case in cases:
        roll = draw(st.integers(0, 9))
        if roll == 0:
            body.append(
                f'<testsuite name="{draw(_NAME_TEXT).replace("<", "").replace("&", "")}"'
                ' tests="1" failures="x">'
            )
            open_suites += 1
        elif roll == 1 and open_suites:
            body.append("</testsuite>")
            open_suites -= 1
        elif roll == 2:
            body.append("<properties><property name='p' value='v'/></properties>")
        body.append(case)
        body.append(draw(st.sampled_from(["", "\n", "\r\n", "\n\t"])))
    body += ["</testsuite>"] * open_suites
    root = draw(st.sampled_from(["testsuites", "testsuite"]))
    decl = draw(st.sampled_from(["", '<?xml version="1.0" encoding="utf-8"?>\n', "\ufeff"]))
    return f'{decl}<{root} name="r" tests="3" errors="1">{"".join(body)}</{root}>'


def _streamed(doc: bytes) -> SuiteRun | None:
    try:
        return parse_junit(io.BytesIO(doc))
    except ReportParseError:
        return None


def _bulk(doc: bytes) -> SuiteRun | None:
    """What parse_junit's bulk path makes of ``doc``: None where it would stream instead."""
    plain, tags = check_xml(doc)
    if not plain:
        return None
    text = doc.decode("utf-8-sig")
    scan = BulkScan("<stream>")
    scan.feed([text])
    run = scan.finish()
    return run if run is not None and scan.tags == tags else None


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(junit_documents())
def test_bulk_reader_agrees_with_the_streaming_reader(doc: str) -> None:
    data = doc.encode("utf-8")
    bulk = _bulk(data)
    if bulk is None:
        return
    streamed = _streamed(data)
    assert streamed is not None, "the bulk reader read a document expat refuses"
    assert bulk == streamed
    assert bulk.columns == streamed.columns


@settings(max_examples=200, deadline=None)
@given(junit_documents(), st.integers(1, 6))
def test_windows_give_the_same_run_wherever_they_are_cut(doc: str, every: int) -> None:
    data = doc.encode("utf-8")
    whole = _bulk(data)
    if whole is None:
        return
    # Cut before every `every`-th testcase start tag, as parse_junit cuts its windows.
    text = data.decode("utf-8-sig")
    cuts = [i for i in range(1, len(text)) if text.startswith("<testcase", i)][::every]
    scan = BulkScan("<stream>")
    begin = 0
    for cut in [*cuts, len(text)]:
        if not scan.feed([text[begin:cut]]):
            break
        begin = cut
    assert scan.finish() == whole


def test_the_common_shape_is_read_in_bulk() -> None:
    doc = (
        '<?xml version="1.0" encoding="utf-8"?>\n<testsuites name="pytest tests">'
        '<testsuite name="pytest" tests="3">\n'
        '<testcase classname="t.m.C" name="a" file="t/m.py" line="3" time="0.5" />\n'
        '<testcase classname="t.m.C" name="b" file="t/m.py" line="9" time="1.0">'
        '<failure message="AssertionError: x &amp; y">t/m.py:9: in b\r\nE   assert 1'
        "</failure><system-out>out &lt;x&gt;</system-out></testcase>\n"
        '<testcase classname="t.m.C" name="c" file="t/m.py" line="12" time="0.1">'
        '<skipped type="pytest.skip" message="unreachable">skip</skipped></testcase>\n'
        "</testsuite></testsuites>\n"
    )
    run = scan_junit(doc, "<stream>")
    assert run is not None
    assert run == parse_junit(io.BytesIO(doc.encode()))
    case = run.get("t.m.C::b")
    assert case is not None and case.problems[0].text == "t/m.py:9: in b\nE   assert 1"
    assert case.problems[0].message == "AssertionError: x & y" and case.stdout == "out <x>"


def test_attributes_of_children_read_together_equal_the_streamed_ones() -> None:
    # One shape of children each: quotes that differ from one testcase to the next, pytest's
    # skip layout (type, then message), and one that breaks the layout of the rest.
    skips = ["type='pytest.xfail' message=\"a&amp;b\"", "type=\"x\" message=''"]
    errors = ["message='s \"q\"'", 'message="t &quot;q&quot;"', "message='u'"]
    odd = ['message="m" type="t"', 'type="u"  message="v"', 'message="w"']
    cases = [
        f'<testcase classname="m.C" name="{kind}{n}"><{kind} {attrs}>x</{kind}></testcase>'
        for kind, group in (("skipped", skips), ("error", errors), ("failure", odd))
        for n, attrs in enumerate(group)
    ]
    doc = f"<testsuite>{''.join(cases)}</testsuite>"
    run = scan_junit(doc, "<stream>")
    assert run is not None and run == parse_junit(io.BytesIO(doc.encode()))
    assert [p.message for c in run.details.values() for p in c.problems][:5] == [
        "a&b",
        "",
        's "q"',
        't "q"',
        "u",
    ]


@pytest.mark.parametrize(
    "doc",
    [
        '<testsuite><!-- pass 1 --><testcase classname="a" name="b"/></testsuite>',
        '<testsuite><testcase classname="a" name="b"><failure><![CDATA[<x>]]></failure>'
        "</testcase></testsuite>",
        '<?xml version="1.0"?><?pi x?><testsuite><testcase classname="a" name="b"/></testsuite>',
        '<!DOCTYPE testsuite><testsuite><testcase classname="a" name="b"/></testsuite>',
        '<?xml version="1.0" encoding="iso-8859-1"?><testsuite><testcase name="b"/></testsuite>',
    ],
)
def test_what_the_bulk_reader_cannot_read_fails_the_check(doc: str) -> None:
    assert check_xml(doc.encode("latin-1"))[0] is False


@pytest.mark.parametrize(
    "doc",
    [
        # another attribute layout after the first testcase's
        '<testsuite><testcase classname="a" name="b"/><testcase name="c" classname="a"/>'
        "</testsuite>",
        # a testcase inside a testcase
        '<testsuite><testcase classname="a" name="b"><testcase classname="a" name="c"/>'
        "</testcase></testsuite>",
        # not JUnit
        '<html><testcase classname="a" name="b"/></html>',
    ],
)
def test_shapes_it_does_not_handle_are_left_to_the_streaming_reader(doc: str) -> None:
    assert scan_junit(doc, "<stream>") is None


def test_an_element_named_like_a_testcase_is_just_another_element() -> None:
    doc = '<testsuite><testcase classname="a" name="b"/><testcases/><testcase-x/></testsuite>'
    run = scan_junit(doc, "<stream>")
    assert run is not None and run == parse_junit(io.BytesIO(doc.encode()))


def test_unescape_reads_references_as_expat_does() -> None:
    assert unescape("a &amp;lt; b &lt; &#60; &#x3c; &quot;&apos;&gt;") == "a &lt; b < < < \"'>"
    assert unescape("&amp;#38;") == "&#38;"


def _big_report(path: Path, cases: int, *, extra: str = "") -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write('<?xml version="1.0" encoding="utf-8"?>\n<testsuites><testsuite name="s">\n')
        for i in range(cases):
            if i % 7 == 0:
                fh.write(
                    f'<testcase classname="m.C" name="t{i}" time="0.{i % 10}">'
                    f'<failure message="E{i} &amp; more">frame\r\nE   boom {i}</failure>'
                    "</testcase>\n"
                )
            else:
                fh.write(f'<testcase classname="m.C" name="t{i}" time="0.{i % 10}"/>\n')
        fh.write(extra + "</testsuite></testsuites>\n")


@pytest.fixture
def bulk_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read every file in bulk, in small windows (the production bounds are for speed)."""
    monkeypatch.setattr(junit, "BULK_MIN_BYTES", 1)
    monkeypatch.setattr(junit, "_WINDOW", 4096)


@pytest.mark.parametrize("helper", ["default", "spawn", "none"])
def test_a_file_read_in_bulk_equals_the_streamed_run(
    tmp_path: Path, bulk_everything: None, monkeypatch: pytest.MonkeyPatch, helper: str
) -> None:
    # expat's check runs in a forked helper, or a spawned one where this process has threads
    # (it has, by the time other tests ran), or here first.
    path = tmp_path / "r.xml"
    _big_report(path, 3000)
    if helper == "spawn":
        monkeypatch.setattr(junit, "SPAWN_MIN_BYTES", 1)
    if helper == "none":
        monkeypatch.setattr(background, "can_run_apart", lambda *_, **__: "")
    scanned: list[int] = []
    real_scan = junit._scan

    def spy(data: object, label: str, on_failures: object) -> object:
        result = real_scan(data, label, on_failures)  # type: ignore[arg-type]
        scanned.append(result.windows if result is not None else 0)
        return result

    monkeypatch.setattr(junit, "_scan", spy)
    bulk = parse_junit(path)
    assert scanned and scanned[0] > 1  # read in bulk, in several windows
    streamed = parse_junit(io.BytesIO(path.read_bytes()), name=str(path))
    assert bulk == streamed
    assert bulk.counts.failed == 429 and len(bulk.rows) == 3000


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ("<testcase classname='m.C' name='u'>\n</testcase", "not well-formed"),
        ("<!-- a comment is fine --><testcase classname='m.C' name='u'/>", ""),
        ("<testcase classname='m.C' name='u'>&unknown;</testcase>", "not well-formed"),
    ],
)
def test_files_the_check_rejects_are_streamed_with_the_same_result_or_error(
    tmp_path: Path, bulk_everything: None, extra: str, reason: str
) -> None:
    path = tmp_path / "r.xml"
    _big_report(path, 50, extra=extra)
    if reason:
        with pytest.raises(ReportParseError, match=reason) as info:
            parse_junit(path)
        assert info.value.line is not None and info.value.path == str(path)
    else:
        run = parse_junit(path)
        assert run.get("m.C::u") is not None


def test_hostile_files_are_refused_whichever_reader_sees_them(
    tmp_path: Path, bulk_everything: None
) -> None:
    path = tmp_path / "lol.xml"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;">]>\n<testsuite><testcase classname="a" name="&lol2;"/>'
        "</testsuite>\n"
    )
    with pytest.raises(ReportParseError, match="refused unsafe XML"):
        parse_junit(path)


def test_a_testcase_larger_than_a_window_is_streamed(
    tmp_path: Path, bulk_everything: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(junit, "_WINDOW_MAX", 10_000)
    path = tmp_path / "r.xml"
    _big_report(
        path,
        20,
        extra=f"<testcase classname='m.C' name='big'><system-out>{'x' * 50_000}"
        "</system-out></testcase>",
    )
    run = parse_junit(path)
    case = run.get("m.C::big")
    assert case is not None and "characters cut" in case.stdout
    assert run == parse_junit(io.BytesIO(path.read_bytes()), name=str(path))


def test_latin1_and_utf16_files_go_the_streaming_way(tmp_path: Path, bulk_everything: None) -> None:
    doc = (
        '<?xml version="1.0" encoding="{}"?>'
        '<testsuite><testcase classname="a" name="é"/></testsuite>'
    )
    for encoding in ("iso-8859-1", "utf-16"):
        path = tmp_path / f"{encoding}.xml"
        path.write_bytes(doc.format(encoding).encode(encoding))
        assert [r.name for r in parse_junit(path).rows] == ["é"]
