"""The verdict at the top of a report's HTML page: exit code, headline, every required check.

A reader opening ``NAME.html`` from a CI artifact otherwise meets the parameters and the code
first, and the verdict somewhere down the page, or not at all when a cell failed half-way (the
page then ends at that cell). The banner holds what ``NAME.json`` says, in the same words; the
texts are the summary's, already scrubbed of tokens and secrets.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

from netra_diag.cli.exit_codes import ExitCode

__all__ = ["BANNER_ID", "verdict_banner"]

BANNER_ID = "netra-verdict"

_COLOURS = {"fail": "#c62828", "unverified": "#b26a00", "pass": "#2e7d32"}
_STATUS_COLOURS = {"FAIL": "#c62828", "not verified": "#b26a00", "pass": "#2e7d32"}


def _tone(exit_code: ExitCode, checks: Sequence[Any]) -> tuple[str, str]:
    if exit_code is not ExitCode.OK:
        return "fail", f"FAILED: exit {int(exit_code)} ({exit_code.name})"
    if any(not c.verified for c in checks):
        # Exit 0 with a check not judged: never shown as a plain pass.
        return "unverified", "exit 0 (OK), but not everything could be verified"
    if not checks:
        return "unverified", "exit 0 (OK), but the notebook recorded no required check"
    return "pass", "exit 0 (OK): every required check passed"


def verdict_banner(
    *,
    name: str,
    exit_code: ExitCode,
    headline: str,
    checks: Sequence[Any],
    error: str | None = None,
    warnings: Iterable[str] = (),
) -> str:
    """The banner's HTML (a ``<section id="netra-verdict">``), every text escaped."""
    tone, status = _tone(exit_code, checks)
    colour = _COLOURS[tone]
    esc = html.escape
    cell = "padding:1px 1em 1px 0;vertical-align:top"
    rows = "".join(
        f'<tr><td style="{cell};color:{_STATUS_COLOURS.get(c.status, "#333")};font-weight:600;'
        f'white-space:nowrap">{esc(c.status)}</td><td style="{cell};white-space:nowrap">'
        f'{esc(c.name)}</td><td style="{cell}">{esc(c.detail)}</td></tr>'
        for c in checks
    )
    table = (
        '<table style="border-collapse:collapse;margin-top:0.6em;font-size:13px">'
        '<thead><tr><th style="text-align:left;padding-right:1em">status</th>'
        '<th style="text-align:left;padding-right:1em">check</th>'
        '<th style="text-align:left">detail</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
        if rows
        else ""
    )
    extra = ""
    if error:
        extra += f'<p style="margin:0.5em 0 0"><b>error:</b> {esc(error)}</p>'
    for warning in warnings:
        extra += f'<p style="margin:0.3em 0 0"><b>warning:</b> {esc(warning)}</p>'
    return (
        f'<section id="{BANNER_ID}" data-verdict="{tone}" style="margin:1em auto 0;'
        f"max-width:1200px;padding:0.8em 1em;border-left:6px solid {colour};"
        'background:#fafafa;font-family:sans-serif;line-height:1.4">'
        f'<div style="font-size:13px;color:#555">netra-diag report: {esc(name)}</div>'
        f'<div style="font-size:18px;font-weight:700;color:{colour}">{esc(status)}</div>'
        f'<div style="font-size:15px;margin-top:0.3em">{esc(headline)}</div>'
        f"{table}{extra}</section>"
    )
