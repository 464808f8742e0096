"""Path parameters checked before a notebook runs: a record_dir that is a file is a usage
error naming the parameter (it was exit 8, FileExistsError inside a cell)."""

from __future__ import annotations

from pathlib import Path

import pytest

from netra_diag.errors import UsageError
from netra_diag.report.parameters import check_path_parameters

DECLARED = {"record_dir": {"default": '""'}, "recordings": {"default": '""'}}


def test_a_record_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    afile = tmp_path / "summary.json"
    afile.write_text("{}", encoding="utf-8")
    with pytest.raises(UsageError, match=r"^parameter record_dir: .*summary\.json: not a dir"):
        check_path_parameters({"record_dir": str(afile)}, DECLARED)


def test_a_record_dir_may_be_new_and_is_resolved_from_the_callers_directory(
    tmp_path: Path,
) -> None:
    out = check_path_parameters({"record_dir": "rec"}, DECLARED, cwd=str(tmp_path))
    assert out["record_dir"] == str(tmp_path / "rec")
    assert check_path_parameters({"record_dir": ""}, DECLARED) == {"record_dir": ""}


def test_an_unknown_parameter_lists_only_those_a_user_may_set() -> None:
    from netra_diag.report.runner import coerce_parameters

    declared = {"users": {"default": "20"}, "summary_path": {"default": '""'}}
    with pytest.raises(UsageError) as caught:
        coerce_parameters({"usres": "3"}, declared, where="notebook 'x'")
    assert str(caught.value) == "notebook 'x' has no parameter 'usres'; its parameters: users"


def test_results_none_is_a_keyword_only_where_the_notebook_documents_it(tmp_path: Path) -> None:
    documented = {"results": {"default": '""', "help": 'suite files; "none": skip'}}
    assert check_path_parameters({"results": "none"}, documented) == {"results": "none"}
    plain = {"results": {"default": '""', "help": "JUnit XML files, comma-separated"}}
    with pytest.raises(UsageError, match=r"^parameter results: none: no such file$"):
        check_path_parameters({"results": "none"}, plain, cwd=str(tmp_path))
