"""``GET /ws/config`` lists every plain subprotocol name the upgrade accepts: a client that offers
only what the config lists must be able to pick any of them (agent_chat was accepted on the
upgrade but missing from the list)."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from typing import Any

from emulator_testkit import established, open_ws, token_for

from netra_diag.emulator import EmulatorConfig, TimingProfile, run_service


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


async def test_every_listed_subprotocol_is_selected_and_every_selected_one_listed() -> None:
    async with run_service(EmulatorConfig(timing=TimingProfile.instant())) as svc:
        listed = (await asyncio.to_thread(_get_json, svc.http_base + "/ws/config"))[
            "supported_subprotocols"
        ]
        assert "agent_chat" in listed
        for name in listed:
            headers = {"Authorization": f"Bearer {token_for()}"}
            async with await open_ws(svc.url, subprotocols=[name], headers=headers) as ws:
                assert ws.subprotocol == name
                await established(ws)
