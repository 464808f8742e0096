"""Every connect refused: the success rate's interval starts at exactly 0 %, and the duration
checks say that every attempt failed rather than only "no successful samples"."""

from __future__ import annotations

import numpy as np
import pandas as pd

from netra_diag.latency import CheckStatus, evaluate_sla, load_sla


def test_every_connect_refused() -> None:
    rows = pd.DataFrame(
        {
            "phase": ["connect"] * 10 + ["time_to_established"] * 10,
            "value_ms": np.nan,
            "ok": False,
            "source": "client",
        }
    )
    report = evaluate_sla(load_sla("remediation"), rows)
    by_id = {r.check.id: r for r in report.results}
    rate = by_id["connect-success"]
    assert rate.status is CheckStatus.FAIL and rate.observed == 0.0
    assert rate.ci_low == 0.0 and rate.ci_text() == "0 %–27.75 %"
    assert (
        by_id["connect"].note
        == "no successful samples: all 10 connect attempts failed or never finished"
    )
    assert report.breached
