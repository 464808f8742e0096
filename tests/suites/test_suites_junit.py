"""JUnit parsing: odd shapes, malformed and hostile input, streaming, shards."""

from __future__ import annotations

import io
import tracemalloc
from pathlib import Path

import pytest

from netra_diag.errors import ReportParseError
from netra_diag.suites import Outcome, load_results, parse_junit, parse_results


def _xml(body: str) -> io.BytesIO:
    return io.BytesIO(('<?xml version="1.0" encoding="utf-8"?>\n' + body).encode())


def test_nested_suites_name_each_case_after_its_innermost_suite() -> None:
    run = parse_junit(
        _xml(
            '<testsuites><testsuite name="outer"><testcase classname="c" name="a"/>'
            '<testsuite name="inner"><testcase classname="c" name="b"><failure message="x"/>'
            '</testcase></testsuite><testcase classname="c" name="c"/></testsuite>'
            '<testcase classname="top" name="d"/></testsuites>'
        )
    )
    assert [(r.name, r.suite) for r in run.rows] == [
        ("a", "outer"),
        ("b", "inner"),
        ("c", "outer"),
        ("d", ""),
    ]
    assert run.counts.failed == 1 and run.counts.passed == 3


def test_missing_attributes_are_tolerated_and_reported() -> None:
    run = parse_junit(
        _xml(
            '<testsuite><testcase/><testcase name="t" time="soon"/>'
            '<testcase name="u" time="1,234.5"/></testsuite>'
        )
    )
    assert len(run.rows) == 3
    assert run.rows[0].name.startswith("<unnamed")
    assert run.rows[1].duration is None
    assert run.rows[2].duration == pytest.approx(1234.5)
    assert any("no name" in w for w in run.warnings)


def test_single_testsuite_root_and_declared_counts() -> None:
    run = parse_junit(
        _xml(
            '<testsuite name="s" tests="2" failures="1" errors="0" skipped="0">'
            '<testcase classname="k" name="a"><failure message="AssertionError: boom">tb</failure>'
            '</testcase><testcase classname="k" name="b"/></testsuite>'
        )
    )
    assert run.declared == {"tests": 2, "failures": 1, "errors": 0, "skipped": 0}
    assert run.counts.failed == 1


def test_status_attribute_marks_skips() -> None:
    run = parse_junit(_xml('<testsuite><testcase name="a" status="disabled"/></testsuite>'))
    assert run.rows[0].outcome is Outcome.SKIPPED


def test_properties_and_output_are_kept_and_clipped() -> None:
    big = "x" * 100_000
    run = parse_junit(
        _xml(
            '<testsuite><testcase classname="k" name="a"><properties>'
            '<property name="netra_events" value="agent_started"/></properties>'
            f"<system-out>{big}</system-out><system-err>err</system-err></testcase></testsuite>"
        )
    )
    case = run.get("k::a")
    assert case is not None
    assert case.properties == (("netra_events", "agent_started"),)
    assert len(case.stdout) < 40_000 and "characters cut" in case.stdout
    assert case.stderr == "err"


def test_malformed_xml_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.xml"
    path.write_text('<testsuites>\n<testsuite name="s">\n<testcase name="a">\n</testsuite>\n')
    with pytest.raises(ReportParseError) as info:
        parse_junit(path)
    assert info.value.path == str(path)
    assert info.value.line == 4
    assert f"{path}:4:" in str(info.value)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("", "empty file"),
        ("   \n", "empty file"),
        ("<html><body/></html>", "root element is <html>"),
        ("not xml at all", "not well-formed"),
    ],
)
def test_not_junit_is_a_clear_error(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "r.xml"
    path.write_text(content)
    with pytest.raises(ReportParseError, match=reason):
        parse_junit(path)


def test_missing_file_is_a_report_parse_error(tmp_path: Path) -> None:
    with pytest.raises(ReportParseError, match="cannot open"):
        parse_results(tmp_path / "nope.xml")


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<testsuite><testcase name="&lol4;"/></testsuite>"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<testsuite><testcase name="a"><failure message="&xxe;"/></testcase></testsuite>"""

EXTERNAL_DTD = """<?xml version="1.0"?>
<!DOCTYPE testsuite SYSTEM "http://127.0.0.1:9/evil.dtd">
<testsuite><testcase name="a"/></testsuite>"""


@pytest.mark.parametrize(
    ("doc", "reason", "line"),
    [
        (BILLION_LAUGHS, "declares entity 'lol': entity declarations are refused", 3),
        (
            EXTERNAL_ENTITY,
            "declares external entity 'xxe' (file:///etc/passwd): external entities are refused",
            2,
        ),
    ],
)
def test_hostile_xml_is_refused(doc: str, reason: str, line: int) -> None:
    with pytest.raises(ReportParseError, match="refused unsafe XML") as refused:
        parse_junit(io.BytesIO(doc.encode()))
    # Says what was refused, in words, and where.
    assert reason in str(refused.value) and refused.value.line == line


def test_external_dtd_is_not_fetched() -> None:
    # A DTD reference without entity declarations is harmless: it is never loaded.
    run = parse_junit(io.BytesIO(EXTERNAL_DTD.encode()))
    assert [r.name for r in run.rows] == ["a"]


def test_doctype_hidden_after_a_comment_still_goes_through_the_safe_parser() -> None:
    doc = BILLION_LAUGHS.replace('<?xml version="1.0"?>', '<?xml version="1.0"?><!-- c -->')
    with pytest.raises(ReportParseError, match="refused"):
        parse_junit(io.BytesIO(doc.encode()))


def test_utf16_document_is_parsed_safely() -> None:
    doc = '<?xml version="1.0" encoding="utf-16"?><testsuite><testcase name="é"/></testsuite>'
    run = parse_junit(io.BytesIO(doc.encode("utf-16")))
    assert run.rows[0].name == "é"
    with pytest.raises(ReportParseError, match="refused"):
        parse_junit(
            io.BytesIO(
                BILLION_LAUGHS.replace('version="1.0"?', 'version="1.0" encoding="utf-16"?').encode(
                    "utf-16"
                )
            )
        )


def test_text_stream_input() -> None:
    run = parse_junit(io.StringIO('<testsuite><testcase name="a"/></testsuite>'))
    assert run.rows[0].name == "a"


def test_large_file_is_streamed_with_flat_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    n = 20_000
    with path.open("w") as fh:
        fh.write('<testsuites><testsuite name="s">')
        for i in range(n):
            if i % 10 == 0:
                fh.write(
                    f'<testcase classname="m.C" name="t{i}" time="0.1"><failure message="E{i}">'
                    + "frame line\n" * 200
                    + "</failure></testcase>"
                )
            else:
                fh.write(f'<testcase classname="m.C" name="t{i}" time="0.1"/>')
        fh.write("</testsuite></testsuites>")
    size = path.stat().st_size
    tracemalloc.start()
    run = parse_junit(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(run.rows) == n and run.counts.failed == n // 10
    # The failure bodies alone are ~4.4 MB of the file; what is kept is the rows and clipped
    # bodies, never the whole tree.
    assert peak < size * 3, (peak, size)


def test_shards_merge_and_deduplicate(tmp_path: Path) -> None:
    a = tmp_path / "a.xml"
    b = tmp_path / "b.xml"
    a.write_text(
        '<testsuite name="s"><testcase classname="k" name="one"/>'
        '<testcase classname="k" name="flaky"><failure message="AssertionError: x"/></testcase>'
        "</testsuite>"
    )
    b.write_text(
        '<testsuite name="s"><testcase classname="k" name="one"/>'
        '<testcase classname="k" name="flaky"/><testcase classname="k" name="two"/></testsuite>'
    )
    run = load_results([a, b])
    assert [r.test_id for r in run.rows] == ["k::one", "k::flaky", "k::two"]
    assert run.counts.passed == 3 and run.counts.flaky == 1
    flaky = run.get("k::flaky")
    assert flaky is not None and flaky.passed_on_retry
    assert any("more than one file" in w for w in run.warnings)
    assert load_results(tmp_path).counts.passed == 3  # a directory of shards


def test_duplicate_names_within_one_file_stay_separate_tests() -> None:
    run = parse_junit(
        _xml(
            '<testsuite><testcase classname="k" name="same"/>'
            '<testcase classname="k" name="same"/></testsuite>'
        )
    )
    assert [r.test_id for r in run.rows] == ["k::same", "k::same #2"]


def test_huge_output_is_clipped_while_it_streams() -> None:
    chunk = "0123456789abcdef" * 4096  # 64 KiB
    parts = [chunk] * 96  # 6 MiB of <system-out>
    doc = (
        '<testsuite><testcase classname="k" name="a"><failure message="boom">short</failure>'
        f"<system-out>HEAD{''.join(parts)}TAIL</system-out></testcase></testsuite>"
    ).encode()
    tracemalloc.start()
    stream = io.BytesIO(doc)
    base, _ = tracemalloc.get_traced_memory()
    run = parse_junit(stream)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    case = run.get("k::a")
    assert case is not None
    assert case.stdout.startswith("HEAD") and case.stdout.endswith("TAIL")
    assert "characters cut" in case.stdout and len(case.stdout) < 40_000
    assert peak - base < 2_500_000, peak - base  # never the whole 6 MiB text


def test_unsafe_xml_error_names_the_line() -> None:
    with pytest.raises(ReportParseError) as info:
        parse_junit(io.BytesIO(BILLION_LAUGHS.encode()))
    assert info.value.line == 3  # the first entity declaration
