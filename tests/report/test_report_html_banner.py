"""The HTML page opens with the report's verdict (exit code, headline, every check), the same
words as NAME.json: a reader of a CI artifact otherwise meets parameters and code first, and
no verdict at all when a cell failed half-way."""

from __future__ import annotations

from pathlib import Path

from netra_diag.cli.exit_codes import ExitCode
from netra_diag.report import Check, CheckKind, run_report
from netra_diag.report.banner import verdict_banner


def _banner_then_cells(page: str) -> tuple[str, str]:
    start = page.index('<section id="netra-verdict"')
    assert start < page.index('<div class="jp-Cell'), "the verdict comes before the first cell"
    end = page.index("</section>", start)
    return page[start:end], page[end:]


def test_a_passing_report_opens_with_its_verdict(tmp_path: Path) -> None:
    result = run_report("token_lab", {}, out_dir=tmp_path)
    assert result.html_path is not None
    banner, _ = _banner_then_cells(result.html_path.read_text(encoding="utf-8"))
    assert 'data-verdict="pass"' in banner
    assert "exit 0 (OK): every required check passed" in banner
    assert "the one required check passed, and it proves little" in banner
    assert "minted token verifies" in banner


def test_a_report_whose_cell_failed_says_so_at_the_top(tmp_path: Path) -> None:
    result = run_report("token_lab", {"extra_claims": "{bad"}, out_dir=tmp_path)
    assert result.exit_code is ExitCode.USAGE
    assert result.html_path is not None
    banner, _ = _banner_then_cells(result.html_path.read_text(encoding="utf-8"))
    assert 'data-verdict="fail"' in banner
    assert "FAILED: exit 2 (USAGE)" in banner
    assert "bad input, nothing checked: extra claims:" in banner
    assert "<b>error:</b> In [3]" in banner


def test_exit_0_with_an_unverified_check_is_no_plain_pass() -> None:
    checks = [
        Check("contracts", CheckKind.CONTRACT, True, "all 3 sessions kept the event contract"),
        Check("sla", CheckKind.SLA, True, "4 no data", verified=False),
    ]
    banner = verdict_banner(
        name="x", exit_code=ExitCode.OK, headline="1 of 2 <pass>", checks=checks
    )
    assert 'data-verdict="unverified"' in banner
    assert "exit 0 (OK), but not everything could be verified" in banner
    assert "1 of 2 &lt;pass&gt;" in banner and "<pass>" not in banner
