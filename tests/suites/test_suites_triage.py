"""The bundled PROTOCOL.md §10 example, rendering, and the ``netra-diag triage`` command."""

from __future__ import annotations

import json
import threading
from importlib.resources import files
from pathlib import Path

import pytest

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.errors import ReportParseError
from netra_diag.suites import Category, triage
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

DATA = files("netra_diag") / "data" / "suites"
CURRENT = str(DATA / "current.xml")
BASELINE = str(DATA / "baseline.xml")


@pytest.fixture(scope="module")
def demo():  # type: ignore[no-untyped-def]
    return triage(CURRENT, baseline=BASELINE)


def test_demo_headline_meets_the_bar(demo) -> None:  # type: ignore[no-untyped-def]
    assert demo.headline == (
        "1 of 4 golden-path WebSocket auth (staging) tests pass; "
        "4 of 5 critical events never observed; "
        "2 failures are one cause (token helper signature drift)"
    )


def test_demo_suites_keep_pass_fail_error_apart(demo) -> None:  # type: ignore[no-untyped-def]
    rows = {s.suite: s for s in demo.suites}
    golden = rows["golden-path WebSocket auth (staging)"]
    assert (golden.tests, golden.counts.passed, golden.baseline_text()) == (4, 1, "0/4 pass")
    assert golden.fixed == 1
    auth = rows["auth agent flow"]
    assert (auth.tests, auth.counts.passed, auth.counts.failed) == (6, 4, 2)
    assert auth.baseline is None and auth.causes == ("2× token helper signature drift",)
    mission = rows["mission-critical WebSocket events"]
    assert (mission.tests, mission.counts.passed, mission.counts.failed, mission.counts.errors) == (
        30,
        11,
        15,
        4,
    )
    assert mission.current_text() == "11/30 pass (37 %); 15 failed, 4 errors"
    assert "5× passed in ~0 ms against a network service" in mission.weak_passes


def test_demo_recognises_the_reports_dismissed_failures(demo) -> None:  # type: ignore[no-untyped-def]
    by_test = {t.rsplit("::", 1)[1]: c.category for c in demo.clusters for t in c.tests}
    assert by_test["test_websocket_auth_setup_reference"] is Category.SETUP_METHOD_AWAIT
    assert (
        by_test["test_auth_failure_rate"] is Category.VACUOUS_PASS
    )  # "more successes than expected"
    assert by_test["test_websocket_api_compatibility"] is Category.WEBSOCKETS_API
    assert by_test["test_token_refresh_flow"] is Category.TOKEN_HELPER_DRIFT
    assert demo.diff is not None and len(demo.diff.cause_changed) == 2


def test_headline_never_claims_success_while_tests_fail(demo) -> None:  # type: ignore[no-untyped-def]
    assert "success" not in demo.headline.lower()
    for text in (demo.headline, demo.to_text(), demo.to_markdown()):
        assert "successful" not in text.lower()
        assert "functioning" not in text.lower()
    assert not demo.headline.startswith("all")


def test_report_renders_as_text_markdown_and_json(demo) -> None:  # type: ignore[no-untyped-def]
    text = demo.to_text()
    assert text.startswith("TRIAGE: 1 of 4 golden-path")
    assert "grouped because same TypeError" in text
    assert "representative: case_auth_agent_flow.TestAuthAgentFlow::test_token_refresh_flow" in text
    md = demo.to_markdown()
    assert md.startswith("**1 of 4 golden-path") and "| suite | tests |" in md
    data = json.loads(json.dumps(demo.to_dict()))
    assert data["headline"] == demo.headline
    assert data["run"]["counts"]["errors"] == 4
    assert data["critical_events_observed"] == ["agent_started"]  # critical events only


def test_tokens_in_failure_messages_are_scrubbed(tmp_path: Path) -> None:
    token = mint_token("u1", key=LOCAL_DEV_SECRET, now=1_700_000_000.0)
    path = tmp_path / "r.xml"
    path.write_text(
        '<testsuite><testcase classname="k" name="a">'
        f'<failure message="AssertionError: rejected {token}">'
        f"E   AssertionError: rejected {token}</failure></testcase></testsuite>"
    )
    report = triage(path)
    for text in (report.to_text(), report.to_markdown(), json.dumps(report.to_dict())):
        assert token not in text


def test_cli_demo_exits_with_new_failures(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["triage", "--demo"]) == ExitCode.NEW_FAILURES
    out = capsys.readouterr().out
    assert out.startswith("TRIAGE: 1 of 4 golden-path")


def test_cli_json_and_exit_code_without_baseline(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["triage", CURRENT, "--json"]) == ExitCode.FAILURE
    data = json.loads(capsys.readouterr().out)
    assert data["diff"] is None and data["clusters"][0]["size"] == 2


def test_cli_no_new_failures_against_itself(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["triage", CURRENT, "--baseline", CURRENT, "--format", "markdown"]) == ExitCode.OK
    assert capsys.readouterr().out.startswith("**1 of 4 golden-path")  # still says what fails


def test_cli_infrastructure_only_and_clean_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    infra = tmp_path / "infra.xml"
    infra.write_text(
        '<testsuite><testcase classname="k" name="a"><error message="failed on setup with &quot;'
        'ConnectionRefusedError: [Errno 111] Connection refused&quot;"/></testcase></testsuite>'
    )
    assert main(["triage", str(infra)]) == ExitCode.INFRASTRUCTURE
    clean = tmp_path / "clean.xml"
    clean.write_text('<testsuite><testcase classname="k" name="a" time="0.2"/></testsuite>')
    assert main(["triage", str(clean)]) == ExitCode.OK
    assert capsys.readouterr().out.endswith("\n")


def test_cli_bad_input_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text("<testsuite>\n<testcase>\n")
    assert main(["triage", str(bad)]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert f"{bad}:3" in err and "not well-formed" in err
    assert main(["triage"]) == ExitCode.USAGE


def test_cli_help_lists_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["triage", "--help"])
    out = capsys.readouterr().out
    assert "7  new failures since the baseline" in out and "--recordings DIR" in out


def test_cli_history_reports_flaky_tests_and_outages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    history = tmp_path / "history"
    history.mkdir()
    ok = '<testcase classname="k" name="{n}" time="0.5"/>'
    bad = (
        '<testcase classname="k" name="{n}" time="0.5">'
        '<failure message="AssertionError: x"/></testcase>'
    )
    down = (
        '<testcase classname="k" name="{n}" time="0.5"><error message="failed on setup with '
        '&quot;ConnectionRefusedError: [Errno 111] Connection refused&quot;"/></testcase>'
    )
    runs = {
        "1.xml": [ok, ok, ok],
        "2.xml": [bad, ok, ok],
        "3.xml": [down, down, down],  # an outage: not evidence of flakiness
    }
    for name, cases in runs.items():
        body = "".join(c.format(n=f"t{i}") for i, c in enumerate(cases))
        (history / name).write_text(f"<testsuite>{body}</testsuite>")
    current = tmp_path / "current.xml"
    current.write_text(
        "<testsuite>" + "".join(ok.format(n=f"t{i}") for i in range(3)) + "</testsuite>"
    )
    assert main(["triage", str(current), "--history", str(history)]) == ExitCode.OK
    out = capsys.readouterr().out
    assert "Flakiness: 1 flaky test over 4 runs; 1 outage run left out" in out
    assert "k::t0: PFP" in out
    assert "1 flaky test over" in out.splitlines()[0]  # the headline says so


def test_progress_hears_of_every_file_read_in_order(tmp_path: Path) -> None:
    shards = tmp_path / "shards"
    shards.mkdir()
    for name in ("a.xml", "b.xml"):
        (shards / name).write_bytes(Path(CURRENT).read_bytes())
    history = tmp_path / "history"
    history.mkdir()
    (history / "1.xml").write_bytes(Path(BASELINE).read_bytes())
    calls: list[tuple[str, int, int]] = []
    report = triage(
        [shards], baseline=BASELINE, history=history, progress=lambda *c: calls.append(c)
    )
    order = [shards / "a.xml", shards / "b.xml", Path(BASELINE), history / "1.xml"]
    sizes = [p.stat().st_size for p in order]
    total = sum(sizes)
    assert [c[0] for c in calls] == [*map(str, order), ""]
    assert [c[1] for c in calls] == [0, sizes[0], sizes[0] + sizes[1], total - sizes[3], total]
    assert {c[2] for c in calls} == {total}
    assert report.flakiness is not None  # (the history was read)


def test_progress_hears_of_every_cassette_read(tmp_path: Path) -> None:
    # Cassettes are read and their contracts checked: a folder of long ones takes a while.
    recordings = tmp_path / "rec"
    recordings.mkdir()
    for name in ("b.jsonl", "a.jsonl"):
        (recordings / name).write_text("", encoding="utf-8")  # (unreadable: said, not fatal)
    calls: list[tuple[str, int, int]] = []
    triage(CURRENT, recordings=recordings, progress=lambda *c: calls.append(c))
    read = [Path(c[0]).name for c in calls if c[0].endswith(".jsonl")]
    assert sorted(read) == ["a.jsonl", "b.jsonl"]
    assert calls[-1][1] == calls[-1][2]  # done == total at the end


def test_cli_progress_is_drawn_only_when_asked_and_slow(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from netra_diag.cli.triage import _Bar

    assert main(["triage", "--demo", "--progress"]) == ExitCode.NEW_FAILURES
    assert capsys.readouterr().err == ""  # quicker than the half-second delay: nothing drawn
    assert main(["triage", "--demo", "--no-progress"]) == ExitCode.NEW_FAILURES
    assert capsys.readouterr().err == ""
    threads = threading.active_count()
    bar = _Bar(delay=0, mininterval=0)
    assert threading.active_count() == threads  # no tqdm monitor: triage may still fork
    bar("/some/where/junit.xml", 0, 2048)
    bar("", 2048, 2048)
    bar.close()
    err = capsys.readouterr().err
    assert "junit.xml" in err and "100%" in err and "2.00k/2.00k" in err


def _suites_xml(path: Path, passing: dict[str, tuple[int, int]]) -> Path:
    """A run of one <testsuite> per entry: name -> (passed, failed)."""
    body = []
    for name, (ok, bad) in passing.items():
        cases = [f'<testcase classname="{name}" name="t{i}" time="0.5"/>' for i in range(ok)]
        cases += [
            f'<testcase classname="{name}" name="f{i}" time="0.5">'
            f'<failure message="AssertionError: {name} {i}"/></testcase>'
            for i in range(bad)
        ]
        body.append(f'<testsuite name="{name}">{"".join(cases)}</testsuite>')
    path.write_text(f"<testsuites>{''.join(body)}</testsuites>")
    return path


def test_failures_spread_over_suites_alike_lead_with_the_run(tmp_path: Path) -> None:
    # Seven suites at 79-80 %: naming the worst one first would point at it for a problem all
    # of them share.
    even = {f"suite{n}": (8, 2) for n in range(3)} | {"suite3": (79, 21)}
    report = triage(_suites_xml(tmp_path / "even.xml", even))
    assert report.headline.startswith(
        "103 of 130 tests pass, failures spread over 4 of 4 suites alike "
        "(79–80 % of each one's tests pass); "
    )
    assert "of 100 suite3 tests pass" not in report.headline
    # Some suites worse than others: the worst leads, as in PROTOCOL.md §10, even when others
    # are as bad as it is.
    uneven = {"suite0": (8, 2), "suite1": (8, 2), "auth": (1, 9)}
    report = triage(_suites_xml(tmp_path / "uneven.xml", uneven))
    assert report.headline.startswith("1 of 10 auth tests pass")
    two_worst = {"suite0": (8, 2), "auth": (1, 9), "tokens": (1, 9)}
    report = triage(_suites_xml(tmp_path / "two_worst.xml", two_worst))
    assert report.headline.startswith(("1 of 10 auth tests pass", "1 of 10 tokens tests pass"))


def test_the_run_triaged_is_not_counted_again_from_the_history_folder(tmp_path: Path) -> None:
    # CI keeps every run in one folder, the newest included, and triages the newest against it.
    runs = tmp_path / "runs"
    runs.mkdir()
    for n, outcome in enumerate(("P", "F", "P")):
        failure = '<failure message="TimeoutError: slow"/>' if outcome == "F" else ""
        (runs / f"{n:02d}.xml").write_text(
            f'<testsuite name="s"><testcase classname="k" name="a" time="0.3">{failure}'
            '</testcase><testcase classname="k" name="b" time="0.3"/></testsuite>'
        )
    report = triage(runs / "02.xml", history=runs)
    assert report.flakiness is not None and report.flakiness.runs == 3
    elsewhere = triage(str(runs / "02.xml"), history=str(runs))
    assert elsewhere.flakiness is not None and elsewhere.flakiness.runs == 3


@pytest.mark.parametrize("option", ["--recordings", "--history"])
def test_a_mistyped_folder_is_a_usage_error(
    option: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Not quietly "no recordings" or "no history".
    assert main(["triage", CURRENT, option, str(tmp_path / "nope")]) == ExitCode.USAGE
    assert f"{tmp_path / 'nope'}: no such directory (expected " in capsys.readouterr().err
    assert main(["triage", CURRENT, option, CURRENT]) == ExitCode.USAGE
    assert "not a directory" in capsys.readouterr().err


def test_the_library_refuses_a_missing_recordings_directory(tmp_path: Path) -> None:
    with pytest.raises(ReportParseError, match="no such directory \\(expected recordings\\)"):
        triage(CURRENT, recordings=tmp_path / "nope")


def _all_pass(path: Path, events: str) -> Path:
    """A run where every test passes, having observed ``events`` (the plugin's property)."""
    path.write_text(
        '<testsuite name="e2e"><testcase classname="tests.e2e.test_ws" name="test_run" '
        f'time="1.2"><properties><property name="netra_events" value="{events}"/></properties>'
        "</testcase></testsuite>"
    )
    return path


def test_strict_fails_a_pass_that_proves_little(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    weak = str(_all_pass(tmp_path / "weak.xml", "connection_established,agent_started"))
    assert main(["triage", weak]) == ExitCode.OK
    assert capsys.readouterr().out.startswith(
        "TRIAGE: the one test passes, but the pass proves little"
    )
    assert main(["triage", weak, "--strict"]) == ExitCode.CONTRACT
    err = capsys.readouterr().err
    assert "--strict: the pass proves little: 4 of 5 critical events never observed" in err
    assert triage(weak).to_dict()["weak_signals"] == ["4 of 5 critical events never observed"]
    # A pass that saw every critical event passes --strict too.
    events = "agent_started,agent_thinking,tool_executing,tool_completed,agent_completed"
    strong = str(_all_pass(tmp_path / "strong.xml", events))
    assert main(["triage", strong, "--strict"]) == ExitCode.OK
    assert triage(strong).weak_signals == ()


def test_an_outage_of_several_infrastructure_causes_counts_them_all(tmp_path: Path) -> None:
    results = tmp_path / "junit.xml"
    refused = "ConnectionRefusedError: [Errno 111] Connect call failed ('127.0.0.1', 8000)"
    status = "websockets.exceptions.InvalidStatus: server rejected WebSocket connection: HTTP 503"
    results.write_text(
        '<testsuite name="s">'
        + "".join(
            f'<testcase classname="t" name="{name}"><failure message="{message}"/></testcase>'
            for name, message in (("a", refused), ("b", status))
        )
        + "</testsuite>"
    )
    report = triage(results)
    assert report.headline.startswith(
        "outage: 2 of 2 tests failed with timeout or infrastructure: [Errno 111] Connect call "
        "failed ('<host>', <port>) / server rejected WebSocket connection: HTTP 503"
    )
    # one finding: the headline's findings are what "; " separates
    assert report.headline.split("; ")[0].endswith("HTTP 503")
    assert main(["triage", str(results)]) == ExitCode.INFRASTRUCTURE


def test_a_baseline_of_another_suite_is_said_to_be_one(tmp_path: Path) -> None:
    results = tmp_path / "junit.xml"
    results.write_text('<testsuite name="s"><testcase classname="k" name="a"/></testsuite>')
    report = triage(results, baseline=BASELINE)
    assert any(n.startswith("the baseline shares no test with this run") for n in report.notes)


def test_single_causes_are_named_by_category_in_the_headline(tmp_path: Path) -> None:
    # Four failures, four causes: the headline says which kinds, not only the pass count.
    results = tmp_path / "junit.xml"
    failures = {
        "a": "AssertionError: missing critical events: ['agent_started']",
        "b": "AssertionError: agent_started came after agent_thinking",
        "c": "SessionClosed: connection closed 1008 'Authentication failed'",
        "d": "TimeoutError: no agent_completed within 1.5 s",
    }
    results.write_text(
        '<testsuite name="s">'
        + "".join(
            f'<testcase classname="k" name="{n}"><failure message="{m}"/></testcase>'
            for n, m in failures.items()
        )
        + "</testsuite>"
    )
    headline = triage(results).headline
    assert "4 failures by category: event contract (§5) ×2, " in headline


def test_the_signing_secret_in_a_failure_is_never_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A test's assertion quoted $JWT_SECRET_KEY; digits in it were turned into "<n>" before
    # the scrubber saw it, leaving the rest readable.
    secret = "QaSixSecretValue0123abcdefABCDEF4567XY"
    monkeypatch.setenv("JWT_SECRET_KEY", secret)
    results = tmp_path / "junit.xml"
    message = f"AssertionError: secret={secret} mapped to user-42"
    results.write_text(
        '<testsuite name="s">'
        + "".join(
            f'<testcase classname="k" name="{n}"><failure message="{message}">E   {message}'
            "</failure></testcase>"
            for n in ("a", "b")
        )
        + "</testsuite>"
    )
    report = triage(results)
    shown = [
        report.to_text(),
        report.to_markdown(),
        report.to_github(),
        json.dumps(report.to_dict()),
    ]
    for text in shown:
        assert "QaSixSecretValue" not in text and "abcdefABCDEF" not in text
    assert "secret=<secret> mapped to user-<n>" in shown[0]
