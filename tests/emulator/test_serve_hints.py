"""``netra-diag serve``: the banner's token hint works as printed, and --help names every
profile the service accepts."""

from __future__ import annotations

import argparse
import shlex

import pytest

from netra_diag.cli import main
from netra_diag.cli.serve import build_config, mint_hint
from netra_diag.cli.serve import register as register_serve
from netra_diag.tokens import PROFILES

SECRET = "ProductionLikeSecret-0123456789abcdefXYZ"


def serve_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    register_serve(parser.add_subparsers())
    return parser.parse_args(["serve", *argv])


@pytest.mark.parametrize("profile", list(PROFILES))
def test_mint_hint_runs_as_printed(
    profile: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JWT_SECRET_KEY", SECRET)
    config, _ = build_config(serve_args("--profile", profile))
    hint = mint_hint(config)
    argv = shlex.split(hint)
    assert argv[:3] == ["netra-diag", "token", "mint"]
    assert main(argv[1:]) == 0, capsys.readouterr().err
    if PROFILES[profile].requires_explicit:
        assert "--allow-production" in hint


def test_permissive_modes_need_no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    config, _ = build_config(serve_args("--auth", "demo"))
    assert mint_hint(config).startswith("any (or none); demo mode")


def test_help_lists_every_profile(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert f"validates against: {', '.join(PROFILES)}" in text
