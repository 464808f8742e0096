"""A skip for want of a service says so without calling a missing configuration an outage."""

from __future__ import annotations

from pathlib import Path

from test_render_history_fields import _run

from netra_diag.suites import triage
from netra_diag.suites.vacuous import VACUOUS_LABELS, VacuousKind


def test_a_skip_for_a_host_not_configured_is_not_called_unreachable(tmp_path: Path) -> None:
    skipped = '<skipped type="pytest.skip" message="no staging host configured" />'
    path = _run(
        tmp_path / "j.xml",
        {"test_ws_connects": ("0.0", skipped), "test_ws_streams": ("0.2", "")},
        "2026-12-07T10:00:00",
    )
    (signal,) = [s for s in triage(path).vacuous if s.kind is VacuousKind.SKIPPED_UNREACHABLE]
    assert signal.detail == "1 test skipped because the service was unreachable or not configured"
    assert VACUOUS_LABELS[VacuousKind.SKIPPED_UNREACHABLE] == "skipped, no service to test"
