"""``netra-diag lab [--port 8888]``: JupyterLab on the notebooks, reference service running.

The embedded reference service starts in a background thread of this process; its URL is exported
as ``NETRA_URL`` so every kernel JupyterLab starts finds it (the notebooks' ``url`` parameter
defaults to it). JupyterLab listens on 127.0.0.1 only and runs from this interpreter, so kernels
get the project's packages. Ctrl-C stops both.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from typing import Any

from netra_diag.cli.exit_codes import ExitCode

__all__ = ["build_lab_command", "register", "run"]

EPILOG = """\
exit codes:
  0  JupyterLab exited normally (or was stopped with Ctrl-C)
  2  no notebooks/ folder found, or bad options
  5  the reference service or JupyterLab could not start

JupyterLab's own login token is printed in its URL; set JUPYTER_TOKEN to choose it.
Arguments after -- go to JupyterLab unchanged.

example:
  netra-diag lab --port 8888
  netra-diag lab --faults drop_event@0.3 -- --ServerApp.open_browser=False
"""


def build_lab_command(
    port: int, root_dir: str, *, open_browser: bool, extra: list[str] | None = None
) -> list[str]:
    """The JupyterLab command line: this interpreter, loopback only."""
    # Containers and CI run as root, which JupyterLab refuses without this flag; it only
    # listens on loopback either way.
    root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    return [
        sys.executable,
        "-m",
        "jupyterlab",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root_dir}",
        f"--ServerApp.open_browser={open_browser}",
        *root,
        *(extra or []),
    ]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "lab",
        help="open JupyterLab on the notebooks with the reference service running",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--port", type=int, default=8888, help="JupyterLab port on 127.0.0.1 (default 8888)"
    )
    parser.add_argument(
        "--service-port",
        type=int,
        default=0,
        help="port of the reference service on 127.0.0.1 (default: any free port)",
    )
    parser.add_argument(
        "--auth",
        default="strict",
        choices=("strict", "demo", "relaxed", "emergency"),
        help="the service's auth mode (default strict)",
    )
    parser.add_argument(
        "--faults",
        default="",
        metavar="PLAN",
        help="faults to inject, e.g. 'drop_event@0.3,stall@0.1' (default none)",
    )
    parser.add_argument(
        "--notebooks", default=None, metavar="DIR", help="folder to open (default notebooks/)"
    )
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser window")
    parser.add_argument("extra", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from netra_diag.emulator import AuthMode, EmulatorConfig, FaultPlan, start_in_thread
    from netra_diag.report import notebooks_dir
    from netra_diag.tokens import LOCAL_DEV_SECRET, find_secret

    root = Path(args.notebooks) if args.notebooks else notebooks_dir()
    if root is None or not root.is_dir():
        print("netra-diag lab: error: no notebooks/ folder found (use --notebooks DIR)")
        return int(ExitCode.USAGE)
    lookup = find_secret("local", os.environ)
    config = EmulatorConfig(
        port=args.service_port,
        auth=AuthMode(args.auth),
        faults=FaultPlan.parse(args.faults),
        secret=lookup.value if lookup is not None else LOCAL_DEV_SECRET,
    )
    extra = [a for a in (args.extra or []) if a != "--"]
    try:
        service = start_in_thread(config)
    except Exception as exc:
        print(f"netra-diag lab: error: the reference service did not start: {exc}")
        return int(ExitCode.CONNECTION)
    env = dict(os.environ, NETRA_URL=service.url)
    print(
        f"reference service: {service.url} (auth {config.auth}, faults: "
        f"{config.faults.describe() or 'none'}); NETRA_URL exported to kernels"
    )
    command = build_lab_command(
        args.port, str(root.resolve()), open_browser=not args.no_browser, extra=extra
    )
    try:
        lab = subprocess.Popen(command, env=env)
    except OSError as exc:
        service.stop()
        print(f"netra-diag lab: error: could not start JupyterLab: {exc}")
        return int(ExitCode.CONNECTION)
    try:
        code = lab.wait()
    except KeyboardInterrupt:
        # SIGTERM: JupyterLab shuts down at once (SIGINT would ask for confirmation).
        lab.send_signal(signal.SIGTERM)
        try:
            lab.wait(timeout=15)
        except subprocess.TimeoutExpired:
            lab.kill()
            lab.wait()
        code = 0
    finally:
        service.stop()
    return int(ExitCode.OK if code == 0 else ExitCode.CONNECTION)
