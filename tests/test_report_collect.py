"""A collection refused for a bad value leaves the folder, and a previous collection in it,
as it was (a typo in ``-p faults`` wiped the report's earlier recordings)."""

from __future__ import annotations

from pathlib import Path

import pytest

from netra_diag import investigation
from netra_diag.errors import UsageError


def previous_collection(folder: Path) -> list[str]:
    folder.mkdir()
    for name in ("turn-demo-engineer.jsonl", "00000-fanout-user-0000.jsonl", "collection.json"):
        (folder / name).write_text("{}\n", encoding="utf-8")
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"faults": "drop_evnt@0.1"}, "unknown fault 'drop_evnt'"),
        ({"users": 0}, "users must be >= 1"),
        ({"runs": -1}, "runs must be >= 0"),
        ({"time_scale": -1.0}, "time_scale"),
        ({"auth": "lenient"}, "unknown mode 'lenient'"),
        ({"run_timeout": 0.0}, "run_timeout"),
    ],
)
async def test_a_refused_value_keeps_the_previous_collection(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    folder = tmp_path / "recordings"
    before = previous_collection(folder)
    config = investigation.CollectConfig(**change)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match=message):
        await investigation.collect(folder, config)
    assert sorted(p.name for p in folder.iterdir()) == before


async def test_a_refused_value_creates_no_folder(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        await investigation.collect(tmp_path / "new", investigation.CollectConfig(users=0))
    assert not (tmp_path / "new").exists()


async def test_a_collection_against_a_given_url_says_faults_were_not_injected(
    tmp_path: Path,
) -> None:
    from netra_diag.emulator import EmulatorConfig, start_in_thread

    service = start_in_thread(EmulatorConfig())
    try:
        config = investigation.CollectConfig(users=1, runs=1, faults="stall@0.5", time_scale=0.1)
        collection = await investigation.collect(tmp_path / "rec", config, url=service.url)
    finally:
        service.stop()
    assert not collection.embedded
    assert collection.caveat == (
        f"recorded against {service.url} (the url given), not an embedded service; faults "
        "'stall@0.5' were not injected"
    )


async def test_netra_url_is_not_where_a_collection_goes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # $NETRA_URL (left over from `netra-diag lab`, or a service that is down) made the demo
    # and the reports record against it, faults not injected, or fail to connect.
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        monkeypatch.setenv("NETRA_URL", f"ws://127.0.0.1:{sock.getsockname()[1]}/ws")
    config = investigation.CollectConfig(users=1, runs=1, faults="", time_scale=0.1)
    own = await investigation.collect(tmp_path / "own", config)
    assert own.embedded and own.caveat == ""
    assert own.fanout["sessions_connected"] == 1


async def test_a_folder_of_someone_elses_cassettes_is_refused_untouched(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    for i in range(3):
        (folder / f"0000{i}-fanout-user-000{i}.jsonl").write_text(f"mine {i}\n", encoding="utf-8")
    before = {p.name: p.read_text() for p in folder.iterdir()}
    config = investigation.CollectConfig(users=2, runs=1, faults="", time_scale=0.1)
    with pytest.raises(
        UsageError, match=r"holds cassettes of no earlier collection \(3: 00000-fanout"
    ):
        await investigation.collect(folder, config)
    assert {p.name: p.read_text() for p in folder.iterdir()} == before
