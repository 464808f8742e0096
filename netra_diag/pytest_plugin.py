"""pytest plugin: ``--netra-record DIR`` records each test's sessions as labelled cassettes.

Loaded through the ``pytest11`` entry point (or ``-p netra_diag.pytest_plugin``). With
``--netra-record DIR``:

- every test leaves ``DIR/<sanitised node id>.outcome.json`` (``nodeid``, ``outcome``,
  ``duration``, ``run``), whether or not it opened a session, so triage can tell which tests ran;
- the ``netra_session`` fixture opens ``netra_diag.live.Session``\\ s that record to
  ``DIR/<sanitised node id>[.N].jsonl`` with the labels ``nodeid``, ``outcome`` and ``run`` (the
  pytest run, shared by xdist workers: triage leaves out what earlier runs left in DIR); the
  outcome is written into the cassette header once the test's teardown is over
  (``label_cassette``);
- the event types a test's sessions received are added as the JUnit property ``netra_events``,
  so ``netra-diag triage`` knows which critical events were observed even without the cassettes;
- the reports of tests that use ``netra_session`` show tokens as fingerprints
  (``netra_diag.suites.link_scrub``); pytest's summary says how many cassettes the run wrote.

The outcome follows pytest's own words: ``passed``, ``failed`` (call failed), ``error`` (setup or
teardown failed), ``skipped``, ``xfailed``, ``xpassed``; ``rerun`` for an attempt that
pytest-rerunfailures ran again (the label ``attempt`` numbers attempts from 1 once there is a
second), ``pending`` while the test runs (a cassette still ``pending`` after the run: the test
process was killed).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from pathlib import Path
from typing import Any

import pytest

from netra_diag.suites.link_scrub import scrub_report
from netra_diag.suites.links import read_cassette, sanitise_nodeid
from netra_diag.wording import plural

__all__ = [
    "CASSETTES_KEY",
    "OUTCOME_KEY",
    "REPORTS_KEY",
    "final_outcome",
    "label_cassette",
    "netra_session",
    "pytest_addoption",
    "pytest_runtest_makereport",
]

REPORTS_KEY = pytest.StashKey[dict[str, pytest.TestReport]]()
OUTCOME_KEY = pytest.StashKey[str]()
CASSETTES_KEY = pytest.StashKey[list[Path]]()  # the cassettes of the test's current attempt
RUN_KEY = pytest.StashKey[str]()
STARTED_KEY = pytest.StashKey[float]()
DIR_KEY = pytest.StashKey[Path | None]()
# What could not be written (a cassette, an outcome), said at the end of pytest's summary.
PROBLEMS_KEY = pytest.StashKey[list[str]]()
RUN_INPUT = "netra_run"  # the xdist workerinput key that carries the run to the workers
SECRETS_KEY = pytest.StashKey[list[str]]()  # tokens given to netra_session, not JWT-shaped ones
# Cassettes named so far for the test, over all its attempts: a rerun must not overwrite the
# recording of the attempt that failed.
NAMED_KEY = pytest.StashKey[int]()
ATTEMPT_KEY = pytest.StashKey[int]()
EVENTS_PROPERTY = "netra_events"  # same name as netra_diag.suites.EVENTS_PROPERTY


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("netra-diag")
    group.addoption(
        "--netra-record",
        metavar="DIR",
        default=None,
        help=(
            "record the sessions each test opens with the netra_session fixture as cassettes "
            "DIR/<node id>[.N].jsonl (labelled with node id, outcome and run; tokens as "
            "fingerprints) and every test's outcome as DIR/<node id>.outcome.json; DIR is "
            "created. Then: netra-diag triage JUNIT.xml --recordings DIR"
        ),
    )


def final_outcome(reports: dict[str, pytest.TestReport]) -> str:
    """A test's outcome from its setup/call/teardown reports, in pytest's summary words."""
    setup, call, teardown = reports.get("setup"), reports.get("call"), reports.get("teardown")
    for rep in (setup, teardown):
        if rep is not None and rep.failed:
            return "error"
    for rep in (setup, call):
        if rep is not None and rep.skipped:
            return "xfailed" if hasattr(rep, "wasxfail") else "skipped"
    if call is not None:
        if call.failed:
            return "failed"
        if hasattr(call, "wasxfail"):
            return "xpassed"
        return "passed"
    return "error" if setup is None else "skipped"


def label_cassette(path: str | os.PathLike[str], **labels: str) -> bool:
    """Merge ``labels`` into the header of the cassette at ``path``; False if it has no header.

    The file is rewritten whole through a temporary file and ``os.replace``, so a reader never
    sees half a header.
    """
    target = Path(path)
    try:
        with target.open(encoding="utf-8") as fh:
            first = fh.readline()
            rest = fh.read()
    except OSError:
        return False
    try:
        header = json.loads(first)
    except ValueError:
        return False
    if not isinstance(header, dict) or header.get("kind") != "header":
        return False
    current = header.get("labels")
    if not isinstance(current, dict):
        current = {}
    header["labels"] = {**current, **{k: str(v) for k, v in labels.items()}}
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.name, suffix=".tmp")
    except OSError:
        return False
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(json.dumps(header, ensure_ascii=False) + "\n")
            out.write(rest)
        os.replace(tmp, target)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        return False
    return True


def pytest_configure(config: pytest.Config) -> None:
    workerinput = getattr(config, "workerinput", None)  # an xdist worker: the controller's run
    if isinstance(workerinput, dict) and workerinput.get(RUN_INPUT):
        config.stash[RUN_KEY] = str(workerinput[RUN_INPUT])
    else:
        # Sortable by time, so triage can tell this run's cassettes from those an earlier run
        # left in the same folder (a test that opened two sessions then, one now).
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        config.stash[RUN_KEY] = f"{stamp}-{os.urandom(3).hex()}"
        directory = _record_dir(config)
        if directory is not None:
            # Said once, before any test runs: not as an INTERNALERROR traceback per test.
            try:
                directory.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                what = (
                    "is a file, not a folder"
                    if directory.is_file()
                    else f"cannot be created: {exc.strerror or exc}"
                )
                shown = config.getoption("--netra-record")
                raise pytest.UsageError(f"--netra-record {shown}: {what}") from None


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist: every worker labels its cassettes with the controller's run."""
    node.workerinput[RUN_INPUT] = node.config.stash[RUN_KEY]


def pytest_sessionstart(session: pytest.Session) -> None:
    if _record_dir(session.config) is not None:
        session.config.stash[STARTED_KEY] = time.time()


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    directory = _record_dir(config)
    if directory is None or hasattr(config, "workerinput"):
        return
    shown = config.getoption("--netra-record")  # (as the user wrote it)
    # (told apart by time: an xdist controller does not see its workers' sessions)
    started = config.stash.get(STARTED_KEY, 0.0)
    times = [c.stat().st_mtime for c in directory.glob("*.jsonl")] if directory.is_dir() else []
    made = sum(1 for t in times if t >= started)
    if made:
        line = (
            f"netra-diag: {plural(made, 'cassette')} of this run in {shown} "
            f"(netra-diag triage JUNIT --recordings {shown})"
        )
    else:
        # The usual surprise: the suite talks to the service with a client of its own.
        line = (
            f"netra-diag: no test opened a session with the netra_session fixture: "
            f"{shown} has no cassette of this run, only test outcomes"
        )
    if earlier := len(times) - made:
        # (not deleted: the folder is the user's; triage tells the runs apart by their label)
        line += (
            f"; {plural(earlier, 'cassette')} of earlier runs this one did not overwrite "
            f"{'is' if earlier == 1 else 'are'} there too: triage leaves them out"
        )
    terminalreporter.write_line(line)
    problems = config.stash.get(PROBLEMS_KEY, [])
    if problems:
        more = f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
        terminalreporter.write_line(
            f"netra-diag: {plural(len(problems), 'recording problem')}: "
            + "; ".join(problems[:3])
            + more
        )


def _run_id(config: pytest.Config) -> str:
    return config.stash.get(RUN_KEY, "")


def _record_dir(config: pytest.Config) -> Path | None:
    """The folder, made absolute when first asked (at configure time): a test that changes
    the working directory (``monkeypatch.chdir``) must not send its cassettes elsewhere."""
    if DIR_KEY not in config.stash:
        value = config.getoption("--netra-record", default=None)
        config.stash[DIR_KEY] = Path(value).absolute() if value else None
    return config.stash[DIR_KEY]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    reports = item.stash.get(REPORTS_KEY, {})
    attempt = item.stash.get(ATTEMPT_KEY, 0) + 1
    item.stash[ATTEMPT_KEY] = attempt
    if "teardown" not in reports:
        return
    # The same item runs again (pytest-rerunfailures): the attempt before was superseded, and
    # its recordings say so in pytest's word for it ("1 rerun"), not the final outcome.
    for cassette in item.stash.get(CASSETTES_KEY, []):
        label_cassette(cassette, outcome="rerun", attempt=str(attempt - 1))
    item.stash[CASSETTES_KEY] = []
    item.stash[REPORTS_KEY] = {}
    item.user_properties[:] = [p for p in item.user_properties if p[0] != EVENTS_PROPERTY]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    if call.when == "call":
        # Before the call report is built, so the property reaches every later report (JUnit
        # writes properties from the teardown report).
        _add_events_property(item)
    report = yield
    if "netra_session" in getattr(item, "fixturenames", ()):
        # pytest's tracebacks show every frame's arguments, a session's token among them
        # ("token = 'eyJ…'"): the JUnit file and the terminal keep fingerprints only.
        scrub_report(report, item.stash.get(SECRETS_KEY, []))
    reports = item.stash.setdefault(REPORTS_KEY, {})
    reports[report.when] = report
    if report.when == "teardown":
        outcome = final_outcome(reports)
        item.stash[OUTCOME_KEY] = outcome
        directory = _record_dir(item.config)
        if directory is not None:
            try:
                _write_outcome(directory, item.nodeid, outcome, reports, _run_id(item.config))
            except OSError as exc:  # (a full disk must not turn into an INTERNALERROR)
                _problem(item.config, f"{item.nodeid}: outcome not written: {exc}")
            attempt = item.stash.get(ATTEMPT_KEY, 1)
            labels = {"nodeid": item.nodeid, "outcome": outcome}
            if attempt > 1:
                labels["attempt"] = str(attempt)
            for cassette in item.stash.get(CASSETTES_KEY, []):
                if not cassette.exists():
                    continue  # (the session was refused before it recorded: a bad URL)
                if not label_cassette(cassette, **labels):
                    _problem(item.config, f"{cassette}: not labelled {outcome!r} (no header?)")
    return report


def _problem(config: pytest.Config, text: str) -> None:
    config.stash.setdefault(PROBLEMS_KEY, []).append(text)


def _write_outcome(
    directory: Path, nodeid: str, outcome: str, reports: dict[str, pytest.TestReport], run: str
) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    duration = sum(r.duration for r in reports.values())
    sidecar = directory / f"{sanitise_nodeid(nodeid)}.outcome.json"
    sidecar.write_text(
        json.dumps(
            {"nodeid": nodeid, "outcome": outcome, "duration": round(duration, 6), "run": run}
        )
        + "\n",
        encoding="utf-8",
    )


def _add_events_property(item: pytest.Item) -> None:
    cassettes = item.stash.get(CASSETTES_KEY, [])
    if not cassettes:
        return
    seen: dict[str, None] = {}
    for path in cassettes:
        _, records, _ = read_cassette(path)
        for rec in records:
            if rec.get("kind") == "frame" and rec.get("dir") == "in" and rec.get("type"):
                seen[str(rec["type"])] = None
    # Once per test: a test's subtests each make a "call" report, and this runs for each.
    item.user_properties[:] = [p for p in item.user_properties if p[0] != EVENTS_PROPERTY]
    item.user_properties.append((EVENTS_PROPERTY, ",".join(seen)))


def _cassette_path(directory: Path, nodeid: str, index: int) -> Path:
    stem = sanitise_nodeid(nodeid)
    return directory / (f"{stem}.jsonl" if index == 0 else f"{stem}.{index}.jsonl")


try:  # an async fixture must be declared through pytest-asyncio in its strict mode
    import pytest_asyncio

    _async_fixture: Callable[..., Any] = pytest_asyncio.fixture
except ImportError:  # pragma: no cover - pytest-asyncio is a test dependency
    _async_fixture = pytest.fixture


@_async_fixture
async def netra_session(
    request: pytest.FixtureRequest,
) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    """A factory of live sessions closed at the end of the test, recorded with
    ``--netra-record``::

        async def test_golden_path(netra_session):
            session = await netra_session(url, token=token, transport="subprotocol")
            record = await session.run("hello", timeout=30)

    Takes the keyword arguments of ``netra_diag.live.Session.connect``. Skips the test when
    ``netra_diag.live`` cannot be imported.
    """
    try:
        from netra_diag.live import Session
    except ImportError as exc:
        pytest.skip(f"netra_diag.live is not available: {exc}")
    directory = _record_dir(request.config)
    node = request.node
    nodeid = node.nodeid
    cassettes = node.stash.setdefault(CASSETTES_KEY, [])

    async with contextlib.AsyncExitStack() as stack:

        async def open_session(url: str, **kwargs: Any) -> Any:
            labels = {
                "nodeid": nodeid,
                "outcome": "pending",
                "run": _run_id(request.config),
                **(kwargs.pop("labels", None) or {}),
            }
            if isinstance(kwargs.get("token"), str):
                node.stash.setdefault(SECRETS_KEY, []).append(kwargs["token"])
            if directory is not None and "record" not in kwargs:
                directory.mkdir(parents=True, exist_ok=True)
                index = node.stash.get(NAMED_KEY, 0)
                node.stash[NAMED_KEY] = index + 1
                path = _cassette_path(directory, nodeid, index)
                cassettes.append(path)
                kwargs["record"] = path
            return await stack.enter_async_context(Session.connect(url, labels=labels, **kwargs))

        yield open_session
