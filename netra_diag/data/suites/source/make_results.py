"""Regenerate ``current.xml`` and ``baseline.xml`` (the bundled triage example of PROTOCOL.md §10)
by running the suites in this directory with pytest.

pytest writes one ``<testsuite>`` per run, so each suite runs on its own with
``-o junit_suite_name``, as a CI shard would (the runs go in parallel), and the runs of one
nightly are merged into a single ``<testsuites name="e2e nightly">`` document the way shard
mergers do: the ``<testsuite>`` elements side by side under a root that states the totals.
Two things pytest writes are not kept: the machine's name (``hostname`` becomes ``localhost``;
the bundle need not say where it was regenerated) and the empty "Captured Out" block it writes
for every test that printed nothing.

The baseline is the golden-path suite alone, run with ``NETRA_SUITE_RUN=baseline`` (the client
before the fix). Every run gets a fresh ``JWT_SECRET_KEY``; nothing is written if the merged
output holds it, the local development secret or anything token-shaped.

Run from anywhere::

    python netra_diag/data/suites/source/make_results.py [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import defusedxml.ElementTree as SafeET

from netra_diag.redaction import JWT_PATTERN, fingerprint
from netra_diag.tokens import LOCAL_DEV_SECRET

SOURCE = Path(__file__).resolve().parent
# Run from the checkout's root: pytest then writes traceback paths relative to it
# (netra_diag/..., .venv/...) rather than the absolute paths of this machine.
ROOT = SOURCE.parents[3]
NIGHTLY = "e2e nightly"
_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>'
_EMPTY_CAPTURE = re.compile(r"\s*-+ Captured \w+ -+\s*")


@dataclass(frozen=True)
class Suite:
    name: str
    module: str
    run: str = "current"  # NETRA_SUITE_RUN: "baseline" replays the client before the fix


GOLDEN_PATH = "golden-path WebSocket auth (staging)"
RESULTS: dict[str, tuple[Suite, ...]] = {
    "current.xml": (
        Suite(GOLDEN_PATH, "case_golden_path_websocket_auth.py"),
        Suite("auth agent flow", "case_auth_agent_flow.py"),
        Suite("mission-critical WebSocket events", "case_websocket_agent_events_suite.py"),
    ),
    "baseline.xml": (Suite(GOLDEN_PATH, "case_golden_path_websocket_auth.py", run="baseline"),),
}


def _command(suite: Suite, junit: Path, work: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-q",
        "--tb=short",
        "-c",
        str(SOURCE / "pytest.ini"),
        "--rootdir",
        str(SOURCE),
        f"--basetemp={work / 'tmp'}",
        "-o",
        f"junit_suite_name={suite.name}",
        f"--junitxml={junit}",
        # The plugin adds the event types a test observed as the property netra_events only
        # when its sessions are recorded; the recordings themselves are not kept.
        f"--netra-record={work / 'recordings'}",
        str((SOURCE / suite.module).relative_to(ROOT)),
    ]


def run_suites(suites: Sequence[Suite], work: Path, secret: str) -> list[Path]:
    """Run each suite in its own pytest process, all at once; their JUnit files, in order."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(PYTHONDONTWRITEBYTECODE="1", JWT_SECRET_KEY=secret)
    runs = []
    for n, suite in enumerate(suites):
        own = work / f"{n}-{suite.run}"
        own.mkdir(parents=True)
        junit = own / "junit.xml"
        proc = subprocess.Popen(
            _command(suite, junit, own),
            cwd=ROOT,
            env={**env, "NETRA_SUITE_RUN": suite.run},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        runs.append((suite, junit, proc))
    for suite, _, proc in runs:
        output, _ = proc.communicate(timeout=300)
        if proc.returncode != 1:  # 1: tests failed, which these suites exist to do
            raise RuntimeError(
                f"pytest exited {proc.returncode} on {suite.module} ({suite.run}):\n{output}"
            )
    return [junit for _, junit, _ in runs]


def merge(junit_files: Sequence[Path], name: str = NIGHTLY) -> ET.Element:
    """One ``<testsuites>`` holding every ``<testsuite>`` of ``junit_files``, with totals."""
    root = ET.Element("testsuites", {"name": name})
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    seconds = 0.0
    for path in junit_files:
        for suite in SafeET.parse(path).iter("testsuite"):
            suite.set("hostname", "localhost")
            for case in suite.iter("testcase"):
                for captured in case.findall("system-out") + case.findall("system-err"):
                    if _EMPTY_CAPTURE.fullmatch(captured.text or ""):
                        case.remove(captured)
            for key in totals:
                totals[key] += int(suite.get(key, "0"))
            seconds += float(suite.get("time", "0"))
            root.append(suite)
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", f"{seconds:.3f}")
    ET.indent(root, space="  ")
    return root


def _document(root: ET.Element) -> str:
    return f"{_DECLARATION}\n{ET.tostring(root, encoding='unicode')}\n"


def leaks(text: str, secrets_used: Sequence[str]) -> list[str]:
    """What in ``text`` must not be published: token-shaped text and the signing secrets."""
    found = [fingerprint(m.group(0)) for m in JWT_PATTERN.finditer(text)]
    found += [f"secret {fingerprint(s)}" for s in secrets_used if s in text]
    return found


def regenerate(out: Path) -> list[Path]:
    """Run every suite, merge each nightly, check it, write it to ``out``; the files written."""
    secret = secrets.token_urlsafe(32)
    suites = [suite for group in RESULTS.values() for suite in group]
    with tempfile.TemporaryDirectory(prefix="netra-suites-") as tmp:
        junit = dict(zip(suites, run_suites(suites, Path(tmp), secret), strict=True))
        documents = {
            filename: _document(merge([junit[s] for s in group]))
            for filename, group in RESULTS.items()
        }
    for filename, text in documents.items():
        found = leaks(text, [secret, LOCAL_DEV_SECRET])
        if found:
            raise RuntimeError(f"{filename} would publish {', '.join(found)}; nothing written")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for filename, text in documents.items():
        target = out / filename
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--out",
        type=Path,
        default=SOURCE.parent,
        help="where to write current.xml and baseline.xml (default: next to source/)",
    )
    args = parser.parse_args(argv)
    for path in regenerate(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
