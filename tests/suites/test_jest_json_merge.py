"""``jest --json`` through ``parse_results`` and triage: the reader is chosen by the document's
keys, the JSON and the jest-junit XML of one run count it once, and triage says what jest said."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from suite_runs import FIXTURES

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.errors import ReportParseError
from netra_diag.suites import load_results, parse_results

JSON = FIXTURES / "jest_json"
BROKEN = "Test suite failed to run::__tests__/broken.test.js"


def test_parse_results_tells_jest_from_pytest_json_by_keys() -> None:
    jest = parse_results(JSON / "mixed.json")
    assert jest.fmt == "jest-json" and jest.counts.errors == 1
    pytest_run = parse_results(FIXTURES / "pytest" / "exit.json")
    assert pytest_run.fmt == "pytest-json"


def test_parse_results_reads_a_json_file_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    opened: list[str] = []
    real_open = builtins.open

    def counting_open(file: object, *args: object, **kwargs: object) -> object:
        opened.append(str(file))
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(builtins, "open", counting_open)
    parse_results(JSON / "mixed.json")
    parse_results(FIXTURES / "pytest" / "exit.json")
    assert len(opened) == 2


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('{"results": []}', "a JSON object with keys 'results', but neither a pytest-json-report"),
        ('{"tests": 3}', "field 'tests' is int, expected list"),
        ('{"testResults": 3}', "$.testResults: is int, expected list"),
        ("{oops", "not valid JSON"),
        ("hello", "not a results file: expected JUnit XML, pytest-json-report JSON or jest --json"),
        ("  \n", "empty file, expected JUnit XML, pytest-json-report JSON or jest --json"),
    ],
)
def test_what_is_not_a_results_file_says_so(tmp_path: Path, text: str, said: str) -> None:
    path = tmp_path / "results.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ReportParseError) as caught:
        parse_results(path)
    assert caught.value.path == str(path) and said in caught.value.reason


@pytest.mark.parametrize("xml", ["mixed.junit.xml", "errors_on.junit.xml"])
@pytest.mark.parametrize("json_first", [True, False])
def test_the_json_and_the_xml_of_one_run_count_it_once(xml: str, json_first: bool) -> None:
    stem = xml.split(".")[0]
    files = [JSON / f"{stem}.json", JSON / xml]
    run = load_results(files if json_first else files[::-1])
    alone = parse_results(JSON / f"{stem}.json")
    assert run.counts == alone.counts
    assert [r.test_id for r in run.rows] == [r.test_id for r in alone.rows]
    # the JSON's results stand, whichever file came first (its suites are the test files)
    assert {r.suite for r in run.rows} == {
        "__tests__/agent_events.test.js",
        "__tests__/broken.test.js",
    }
    (said,) = [w for w in run.warnings if "one jest run in two formats" in w]
    assert f"{JSON / xml} and {JSON / f'{stem}.json'} are one jest run in two formats" in said
    assert "each test is counted once, as the JSON says" in said
    assert not any("appeared in more than one file" in w for w in run.warnings)


def test_a_load_failure_whose_json_path_is_whole_still_pairs(tmp_path: Path) -> None:
    data = json.loads((JSON / "errors_on.json").read_text(encoding="utf-8"))
    data["numFailedTests"], data["numPassedTests"] = 0, 5
    for entry in data["testResults"]:
        loaded = any(test["status"] != "error" for test in entry["assertionResults"])
        entry["message"] = "" if loaded else "  ● Test suite failed to run\n\n    boom\n"
        entry["status"] = "passed" if loaded else "failed"
        for test in entry["assertionResults"]:
            test["failureMessages"] = []
            test["status"] = "passed" if test["status"] == "failed" else test["status"]
    # no message says where rootDir is, and the file is not in it: paths stay whole
    path = tmp_path / "results.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    alone = parse_results(path)
    assert "Test suite failed to run::/tmp/jestjson/__tests__/broken.test.js" in alone.row_by_id
    run = load_results([JSON / "errors_on.junit.xml", path])
    assert not alone.warnings
    assert run.counts.errors == 1 and len(run.rows) == len(alone.rows)
    assert BROKEN not in run.row_by_id


def test_the_xml_of_one_run_with_other_names_is_told_by_its_times() -> None:
    # jest-junit's classNameTemplate "{filepath}", titleTemplate "{title}": no id agrees
    xml = parse_results(JSON / "custom_names.junit.xml")
    assert "__tests__/agent_events.test.js::mints a token" in xml.row_by_id
    run = load_results([JSON / "custom_names.json", JSON / "custom_names.junit.xml"])
    (said,) = run.warnings
    assert said.startswith(
        f"{JSON / 'custom_names.junit.xml'} looks like the jest-junit report of the run in "
        f"{JSON / 'custom_names.json'}"
    )
    assert "both are counted, each test twice; give triage the JSON alone" in said
    assert run.counts.failed == 2 * parse_results(JSON / "custom_names.json").counts.failed
    # the XML of another run took other times: shards, no warning
    assert not load_results([JSON / "mixed.json", JSON / "custom_names.junit.xml"]).warnings


def test_a_jest_junit_shard_that_shares_a_title_is_another_shard(tmp_path: Path) -> None:
    data = json.loads((JSON / "passing.json").read_text(encoding="utf-8"))
    shard = tmp_path / "shard1.json"
    shard.write_text(json.dumps(data), encoding="utf-8")
    # the other shard's XML: 7 tests, one of which ("agent events heartbeat answered") has the
    # same titles as one of the JSON's
    run = load_results([shard, JSON / "mixed.junit.xml"])
    assert not any("two formats" in w for w in run.warnings)
    assert len(run.rows) == 2 + 7 - 1  # merged as shards are: one test seen twice


def test_triage_of_the_json_names_the_load_failure_first(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["triage", str(JSON / "mixed.json")])
    out = capsys.readouterr().out
    assert code == ExitCode.FAILURE  # as jest's exit code 1
    assert out.startswith("TRIAGE: 1 test file failed to load: __tests__/broken.test.js;")
    assert "1× import/config error at collection — phase: collection" in out
    assert "2 failures are one cause (token helper signature drift)" in out.splitlines()[0]
    assert "Cannot find module './missing-config' from '__tests__/broken.test.js'" in out
    code = main(["triage", str(JSON / "mixed.json"), "--format", "github"])
    assert "::error file=__tests__/broken.test.js,line=2,title=import/config error" in (
        capsys.readouterr().out
    )
    code = main(["triage", str(JSON / "mixed.json"), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert data["run"]["tests"] == 8 and data["run"]["format"] == "jest-json"


def test_triage_when_no_file_loaded_and_when_all_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["triage", str(JSON / "all_broken.json")])
    out = capsys.readouterr().out
    assert code == ExitCode.FAILURE  # jest exited 1; the jest-junit XML read as "no tests ran"
    assert out.startswith("TRIAGE: no test ran: 1 test file failed at collection")
    code = main(["triage", str(JSON / "passing.json")])
    assert code == ExitCode.OK
    assert capsys.readouterr().out.startswith("TRIAGE: all 2 tests pass")
    # a folder: the JSON and the XML of one run
    folder = tmp_path / "reports"
    folder.mkdir()
    shutil.copy(JSON / "mixed.json", folder)
    shutil.copy(JSON / "mixed.junit.xml", folder)
    code = main(["triage", str(folder)])
    out = capsys.readouterr().out
    assert code == ExitCode.FAILURE
    assert (
        "8 tests from " in out
        and "[jest-json+junit]: 3 failed, 2 passed, 2 skipped, 1 error" in out
    )
    assert BROKEN in out
