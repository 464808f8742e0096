"""A second report into the same --out leaves only this run's artifacts."""

from __future__ import annotations

import json
from pathlib import Path

from netra_diag.report import run_report


def test_no_html_removes_the_page_an_earlier_run_left(tmp_path: Path) -> None:
    tmp_path = tmp_path / "out"
    first = run_report("token_lab", {}, out_dir=tmp_path)
    assert first.html_path is not None and first.html_path.is_file()
    second = run_report("token_lab", {"sub": "u2"}, out_dir=tmp_path, html=False)
    assert second.html_path is None
    assert not (tmp_path / "token_lab.html").exists()
    summary = json.loads(second.summary_path.read_text(encoding="utf-8"))
    assert summary["artifacts"]["html"] is None
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".gitignore",
        "token_lab.ipynb",
        "token_lab.json",
    ]


def test_an_out_folder_that_cannot_be_created_is_a_usage_error(tmp_path: Path) -> None:
    import pytest

    from netra_diag.errors import UsageError
    from netra_diag.report import prepare_out_dir

    afile = tmp_path / "afile"
    afile.write_text("", encoding="utf-8")
    with pytest.raises(UsageError, match=r"^--out .*afile/report: cannot create it: "):
        prepare_out_dir(afile / "report")


def test_the_report_shows_no_temporary_summary_path(tmp_path: Path) -> None:
    result = run_report("token_lab", {"sub": "u2"}, out_dir=tmp_path / "out")
    assert result.html_path is not None
    for path in (result.notebook_path, result.html_path):
        text = path.read_text(encoding="utf-8")
        assert "netra-report-" not in text and "summary.json" not in text
    # The parameters given are still shown.
    assert "u2" in result.notebook_path.read_text(encoding="utf-8")


def test_out_may_not_be_the_folder_of_the_notebook_being_run(tmp_path: Path) -> None:
    import shutil

    import pytest

    from netra_diag.errors import UsageError
    from netra_diag.report import find_notebook

    source = tmp_path / "nbs" / "token_lab.ipynb"
    source.parent.mkdir()
    shutil.copy(find_notebook("token_lab"), source)
    before = source.read_bytes()
    with pytest.raises(UsageError, match=r"would overwrite the notebook being run"):
        run_report(source, {}, out_dir=tmp_path / "nbs" / ".", html=False)
    assert source.read_bytes() == before
    assert sorted(p.name for p in source.parent.iterdir()) == ["token_lab.ipynb"]
