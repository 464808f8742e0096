"""Results given through a pipe or FIFO (``triage <(cat x.xml)``, ``cat x.xml | triage
/dev/stdin``, ``--baseline <(...)``) are read once and parsed from the bytes read: JUnit XML
was sniffed from its first bytes, then opened again by name, and a drained pipe read as
malformed. Whatever is read whole into memory stops at a cap (``/dev/zero`` grew without
bound), and JSON nested past what the decoder takes says so, with a line. Real CLI runs on
real FIFOs and pipes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from timeouts import scaled

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.suites import json_file, junit

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs (POSIX)")

_PYTEST = Path(__file__).parent.parent / "fixtures" / "suites" / "pytest"
# Real pytest output: a JUnit XML (xunit) and a pytest-json-report document
RESULTS = [_PYTEST / "subtests.junit.xml", _PYTEST / "subtests.json"]

# Copies argv[1] (a file, or the byte count of a JSON-looking document to make) into the FIFO
# argv[2]; exit 3 when the reader closed its end before the last byte (a broken pipe).
_WRITER = """
import sys
src, dest = sys.argv[1], sys.argv[2]
data = open(src, "rb").read() if not src.isdigit() else b"{" + b" " * (int(src) - 1)
try:
    with open(dest, "wb") as out:
        for at in range(0, len(data), 4096):
            out.write(data[at : at + 4096])
except BrokenPipeError:
    sys.exit(3)
"""


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Any]:
    """``feed(source)``: a FIFO in ``tmp_path`` that a writer process fills with ``source``
    (a file, or a byte count) once it is opened; the writer, ended at teardown if still
    there, is returned with the FIFO's path."""
    writers: list[subprocess.Popen[bytes]] = []

    def feed(source: Path | int) -> tuple[Path, subprocess.Popen[bytes]]:
        path = tmp_path / f"results-{len(writers)}.fifo"
        os.mkfifo(path)
        cmd = [sys.executable, "-c", _WRITER, str(source), str(path)]
        writers.append(subprocess.Popen(cmd, stderr=subprocess.PIPE))
        return path, writers[-1]

    yield feed
    for writer in writers:
        if writer.poll() is None:  # (never opened: the triage failed before reading it)
            writer.kill()
        writer.communicate(timeout=scaled(10))


def _cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "netra_diag", "triage", *args],
        input=stdin,
        capture_output=True,
        timeout=scaled(60),
        check=False,
    )


def _counts(report: dict[str, Any], key: str = "run") -> dict[str, Any]:
    """What a run's report says of its tests, whichever name its file was given."""
    run = report[key]
    said = {"tests": run["tests"], "counts": run["counts"]}
    if key == "baseline":  # (the baseline's section says no more; its suites are in "suites")
        return {**said, "suites": report["suites"]}
    return {
        **said,
        "headline": report["headline"],
        "declared": run["declared"],
        "format": run["format"],
        "suites": report["suites"],
    }


def _by_name(path: Path) -> tuple[int, dict[str, Any]]:
    proc = _cli("--json", str(path))
    return proc.returncode, json.loads(proc.stdout)


@pytest.mark.parametrize("results", RESULTS, ids=lambda p: p.name)
def test_results_through_a_fifo_count_as_by_name(results: Path, fifo: Any) -> None:
    code, expected = _by_name(results)
    assert expected["run"]["tests"] > 0
    path, writer = fifo(results)
    proc = _cli("--json", str(path))
    assert proc.returncode == code, proc.stderr.decode()
    report = json.loads(proc.stdout)
    assert _counts(report) == _counts(expected)
    assert report["run"]["sources"] == [str(path)]
    assert writer.wait(timeout=scaled(10)) == 0


@pytest.mark.parametrize("results", RESULTS, ids=lambda p: p.name)
def test_results_on_dev_stdin_count_as_by_name(results: Path) -> None:
    if not os.path.exists("/dev/stdin"):
        pytest.skip("no /dev/stdin")
    code, expected = _by_name(results)
    proc = _cli("--json", "/dev/stdin", stdin=results.read_bytes())
    assert proc.returncode == code, proc.stderr.decode()
    assert _counts(json.loads(proc.stdout)) == _counts(expected)


@pytest.mark.parametrize("results", RESULTS, ids=lambda p: p.name)
def test_baseline_through_a_fifo_counts_as_by_name(results: Path, fifo: Any) -> None:
    other = next(r for r in RESULTS if r != results)
    proc = _cli("--json", str(other), "--baseline", str(results))
    expected = json.loads(proc.stdout)
    path, _ = fifo(results)
    piped = _cli("--json", str(other), "--baseline", str(path))
    assert piped.returncode == proc.returncode, piped.stderr.decode()
    report = json.loads(piped.stdout)
    assert _counts(report, "baseline") == _counts(expected, "baseline")
    assert report["diff"] == expected["diff"]


def test_a_fifo_and_the_bulk_reader_agree(
    fifo: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A regular file of this size goes to the bulk reader (which maps the file by its path);
    the same bytes through a FIFO go to the streaming reader, and say the same."""
    monkeypatch.setattr(junit, "BULK_MIN_BYTES", 1)
    results = RESULTS[0]
    code = main(["triage", "--json", str(results)])
    expected = json.loads(capsys.readouterr().out)
    path, _ = fifo(results)
    assert main(["triage", "--json", str(path)]) == code
    assert _counts(json.loads(capsys.readouterr().out)) == _counts(expected)


@pytest.mark.parametrize("results", RESULTS, ids=lambda p: p.name)
def test_a_fifo_past_the_cap_stops_there(
    results: Path,
    fifo: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """More than the cap through a FIFO: exit 2 naming the FIFO and the cap, the writer cut
    off (a broken pipe) rather than read to its end."""
    cap = 64 << 10
    monkeypatch.setattr(json_file, "MAX_WHOLE_READ", cap)
    # (a real report under the cap still reads; then a document of 4 caps does not)
    path, _ = fifo(results)
    assert main(["triage", str(path)]) != ExitCode.USAGE
    capsys.readouterr()
    path, writer = fifo(4 * cap)
    assert main(["triage", str(path)]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert f"{path}: larger than 64 KiB, the most read into memory" in err
    assert "Traceback" not in err
    assert writer.wait(timeout=scaled(10)) == 3  # (it was still writing when the reader left)


def test_a_json_file_past_the_cap_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.json"
    report.write_bytes(RESULTS[1].read_bytes())
    monkeypatch.setattr(json_file, "MAX_WHOLE_READ", report.stat().st_size - 1)
    assert main(["triage", str(report)]) == ExitCode.USAGE
    assert f"{report}: larger than {report.stat().st_size - 1} bytes" in capsys.readouterr().err


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_dev_zero_ends_at_once_with_a_message() -> None:
    proc = _cli("/dev/zero")
    assert proc.returncode == ExitCode.USAGE
    err = proc.stderr.decode()
    assert "/dev/zero: binary data, not a results file" in err
    assert "Traceback" not in err


def test_json_nested_too_deeply_says_so_with_its_line(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text('{\n  "tests":\n    ' + "[" * 100_000 + "]" * 100_000 + "\n}\n")
    proc = _cli(str(deep))
    assert proc.returncode == ExitCode.USAGE
    err = proc.stderr.decode()
    assert f"{deep}:3: the JSON nests arrays and objects too deeply to decode" in err
    assert "(100001 levels at its deepest, first on line 3)" in err
    assert "RecursionError" not in err and "Traceback" not in err
