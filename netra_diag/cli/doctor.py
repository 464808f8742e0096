"""``netra-diag doctor``: versions, paths and configuration for a bug report (cf. ``jwt.help``).

Versions come from ``importlib.metadata``, so nothing heavy (pandas, plotly, jupyterlab) is
imported. Secrets are shown only as present/absent with a length class: never a value, never a
fingerprint (a fingerprint of a short secret can be brute-forced).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from netra_diag.cli.exit_codes import ExitCode

__all__ = ["DISTRIBUTIONS", "SECRET_ENVS", "collect_report", "register", "render_text"]

DISTRIBUTIONS: tuple[str, ...] = (
    "netra-diag",
    "websockets",
    "PyJWT",
    "cryptography",
    "pandas",
    "numpy",
    "plotly",
    "ipywidgets",
    "jupyterlab",
    "papermill",
)
# JWT_SECRET is not read by the service, only by some test helpers: listed so the mismatch shows.
SECRET_ENVS: tuple[str, ...] = (
    "JWT_SECRET_KEY",
    "JWT_SECRET",
    "JWT_SECRET_DEVELOPMENT",
    "JWT_SECRET_TEST",
    "JWT_SECRET_STAGING",
    "JWT_SECRET_PRODUCTION",
)
_SENSITIVE = re.compile(r"SECRET|TOKEN|KEY|PASSW|PASS\b|AUTH|CREDENTIAL|COOKIE|TICKET", re.I)


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _length_class(value: str) -> str:
    from netra_diag.tokens.profiles import MIN_SECRET_LENGTH

    if not value:
        return "empty"
    if len(value) < MIN_SECRET_LENGTH:
        return f"shorter than {MIN_SECRET_LENGTH} chars (too short for staging/production)"
    return f"{MIN_SECRET_LENGTH}+ chars"


def _secret_status(value: str | None) -> dict[str, Any]:
    if value is None:
        return {"present": False}
    return {"present": True, "length": _length_class(value)}


def _config_path(environ: Mapping[str, str]) -> Path:
    if environ.get("NETRA_DIAG_CONFIG"):
        return Path(environ["NETRA_DIAG_CONFIG"])
    base = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "netra-diag" / "config.toml"


def _netra_settings(environ: Mapping[str, str], secrets: list[str]) -> dict[str, Any]:
    from netra_diag.redaction import scrub

    settings: dict[str, Any] = {}
    for name in sorted(n for n in environ if n.startswith("NETRA_")):
        value = environ[name]
        if _SENSITIVE.search(name):
            settings[name] = {"present": True}
            continue
        for secret in secrets:  # a secret pasted into a URL or option must not leak here
            if len(secret) >= 4:
                value = value.replace(secret, "<redacted secret>")
        settings[name] = scrub(value)
    return settings


def _warnings(environ: Mapping[str, str], versions: Mapping[str, str | None]) -> list[str]:
    notes: list[str] = []
    key, helper = environ.get("JWT_SECRET_KEY"), environ.get("JWT_SECRET")
    if helper and not key:
        notes.append(
            "JWT_SECRET is set but JWT_SECRET_KEY is not: the service reads JWT_SECRET_KEY, so "
            "tokens from helpers that read JWT_SECRET are refused (PROTOCOL.md §3)"
        )
    elif helper and key and helper != key:
        notes.append(
            "JWT_SECRET and JWT_SECRET_KEY differ: helpers reading JWT_SECRET sign tokens the "
            "service refuses (bad signature)"
        )
    ws = versions.get("websockets")
    if ws and ws.split(".")[0].isdigit() and int(ws.split(".")[0]) >= 15:
        notes.append(
            f"websockets {ws}: connect() takes additional_headers= (not extra_headers=); "
            "InvalidStatus replaced InvalidStatusCode; connections have no .closed"
        )
    if not versions.get("netra-diag"):
        notes.append("netra-diag is not installed as a distribution: run `make install`")
    return notes


def collect_report(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Everything ``doctor`` shows, as JSON-safe data. Contains no secret values."""
    import netra_diag
    from netra_diag.tokens.profiles import PROFILES, find_secret

    env = os.environ if environ is None else environ
    versions: dict[str, str | None] = {"python": platform.python_version()}
    versions.update({dist: _version(dist) for dist in DISTRIBUTIONS})
    versions["netra_diag (imported)"] = netra_diag.__version__
    in_venv = sys.prefix != sys.base_prefix
    config = _config_path(env)
    secret_values = [env[n] for n in SECRET_ENVS if env.get(n)]
    profiles: dict[str, str] = {}
    for prof in PROFILES.values():
        found = find_secret(prof, env)
        profiles[prof.name] = (
            f"no secret (set {prof.secret_env})"
            if found is None
            else found.source
            if found.is_default
            else f"secret from {found.source}" + (" (deprecated name)" if found.deprecated else "")
        )
    return {
        "versions": versions,
        "paths": {
            "package": str(Path(netra_diag.__file__).resolve().parent),
            "python": sys.executable,
            "venv": sys.prefix if in_venv else None,
            "config": str(config),
            "config_exists": config.is_file(),
        },
        "platform": {
            "system": platform.platform(),
            "machine": platform.machine(),
            "implementation": platform.python_implementation(),
            "cpus": os.cpu_count(),
        },
        "configuration": {
            "secrets": {name: _secret_status(env.get(name)) for name in SECRET_ENVS},
            "profiles": profiles,
            "netra": _netra_settings(env, secret_values),
        },
        "warnings": _warnings(env, versions),
    }


def render_text(report: Mapping[str, Any]) -> str:
    lines = ["netra-diag doctor", "", "versions"]
    lines += [f"  {k:<22} {v or 'not installed'}" for k, v in report["versions"].items()]
    paths = report["paths"]
    lines += ["", "paths"]
    lines.append(f"  {'package':<22} {paths['package']}")
    lines.append(f"  {'python':<22} {paths['python']}")
    lines.append(f"  {'venv':<22} {paths['venv'] or '(none: not in a virtualenv)'}")
    exists = "exists" if paths["config_exists"] else "not present"
    lines.append(f"  {'config':<22} {paths['config']} ({exists})")
    lines += ["", "platform"]
    lines += [f"  {k:<22} {v}" for k, v in report["platform"].items()]
    conf = report["configuration"]
    lines += ["", "secrets (present/absent only; values are never shown)"]
    for name, status in conf["secrets"].items():
        shown = f"present, {status['length']}" if status["present"] else "absent"
        lines.append(f"  {name:<22} {shown}")
    lines += ["", "signing secret per token profile"]
    lines += [f"  {k:<22} {v}" for k, v in conf["profiles"].items()]
    lines += ["", "NETRA_* settings"]
    if not conf["netra"]:
        lines.append("  (none set)")
    for name, value in conf["netra"].items():
        if isinstance(value, dict):
            value = "present (value hidden: the name suggests a credential)"
        lines.append(f"  {name:<22} {value}")
    if report["warnings"]:
        lines += ["", "warnings"]
        lines += [f"  - {w}" for w in report["warnings"]]
    return "\n".join(lines)


def _doctor(args: argparse.Namespace) -> int:
    report = collect_report()
    print(json.dumps(report, indent=2) if args.json else render_text(report))
    return int(ExitCode.OK)


def register(sub: Any) -> None:
    """Add ``doctor`` to the top-level subparsers."""
    parser = sub.add_parser(
        "doctor",
        help="print versions, paths and configuration for a bug report",
        description="Print versions, paths, platform and configuration for a bug report. "
        "Secrets are shown only as present/absent with a length class.",
        epilog="exit codes: 0 ok, 2 usage error\nexample: netra-diag doctor --json > doctor.json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=_doctor)
