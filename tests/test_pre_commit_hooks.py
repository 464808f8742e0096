"""The pre-commit hooks check cassettes too: a cassette shared in a pull request is where a
token recorded whole would leak."""

from __future__ import annotations

from pathlib import Path

from netra_diag.cli import main
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

HOOKS = Path(__file__).parents[1] / ".pre-commit-hooks.yaml"


def test_the_scrub_hooks_take_notebooks_and_cassettes() -> None:
    text = HOOKS.read_text(encoding="utf-8")
    for hook in ("netra-diag-scrub-check", "netra-diag-scrub"):
        block = text.split(f"\n- id: {hook}\n", 1)[1].split("\n- id:", 1)[0]
        assert "files: \\.(ipynb|jsonl)$" in block, hook


def test_scrub_check_fails_a_cassette_holding_a_whole_token(tmp_path: Path) -> None:
    token = mint_token("u1", key=LOCAL_DEV_SECRET, now=1_700_000_000.0)
    cassette = tmp_path / "run.jsonl"
    cassette.write_text(
        '{"kind":"header","format":"netra-cassette","version":1}\n'
        f'{{"kind":"mark","t_ns":1,"name":"note","data":{{"text":"Bearer {token}"}}}}\n',
        encoding="utf-8",
    )
    assert main(["scrub", "--check", str(tmp_path)]) != 0
