"""Every auth transport, every known-bad format and every auth mode, on a real loopback port."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections.abc import AsyncIterator

import pytest
from emulator_testkit import (
    close_code_after,
    established,
    golden,
    open_ws,
    recv_json,
    scaled,
    token_for,
)
from websockets.exceptions import InvalidStatus

from netra_diag.emulator import (
    DEMO_USER_ID,
    AuthMode,
    EmulatorConfig,
    ServiceHandle,
    TimingProfile,
    run_service,
)
from netra_diag.tokens import (
    KNOWN_BAD_FORMATS,
    Transport,
    build_bad_handshake,
    build_handshake,
    encode_subprotocol_token,
)

FAST = TimingProfile(time_scale=0.0)


@pytest.fixture
async def strict() -> AsyncIterator[ServiceHandle]:
    async with run_service(EmulatorConfig(timing=FAST)) as svc:
        yield svc


@pytest.mark.parametrize("transport", [t for t in Transport if t is not Transport.NONE])
async def test_every_transport_authenticates_in_strict_mode(
    strict: ServiceHandle, transport: Transport
) -> None:
    token = token_for("user-transport-1")
    hs = build_handshake(strict.url, token, transport)
    async with await open_ws(hs.url, subprotocols=hs.subprotocols, headers=dict(hs.headers)) as ws:
        data = await established(ws)
        assert data["user_id"] == "user-tra..."  # truncated to 8 characters, as the service does
        if hs.subprotocols:
            # The token-bearing entry is echoed exactly (Chromium closes 1002 without it).
            expected = next(s for s in hs.subprotocols if "." in s)
            assert ws.subprotocol == expected
        else:
            assert ws.subprotocol is None


@pytest.mark.parametrize("param", ["token", "jwt", "auth_token", "access_token"])
async def test_every_query_parameter(strict: ServiceHandle, param: str) -> None:
    hs = build_handshake(strict.url, token_for("q1"), Transport.QUERY, query_param=param)
    async with await open_ws(hs.url) as ws:
        assert (await established(ws))["user_id"] == "q1"


@pytest.mark.parametrize("prefix", ["jwt", "jwt-auth", "bearer", "staging-auth"])
@pytest.mark.parametrize("encoding", ["base64url", "raw"])
async def test_every_subprotocol_prefix_raw_or_base64url(
    strict: ServiceHandle, prefix: str, encoding: str
) -> None:
    token = token_for("p1")
    carried = encode_subprotocol_token(token) if encoding == "base64url" else token
    entry = f"{prefix}.{carried}"
    async with await open_ws(strict.url, subprotocols=["jwt-auth", entry]) as ws:
        assert (await established(ws))["user_id"] == "p1"
        assert ws.subprotocol == entry


async def test_header_wins_over_subprotocol_and_query(strict: ServiceHandle) -> None:
    good, other = token_for("header-user"), token_for("sp-user")
    url = strict.url + "?token=" + token_for("query-user")
    async with await open_ws(
        url, subprotocols=golden(other), headers={"Authorization": f"Bearer {good}"}
    ) as ws:
        assert (await established(ws))["user_id"] == "header-u..."
        assert ws.subprotocol == golden(other)[1]  # still echoed


async def test_plain_subprotocol_is_selected_when_no_entry_carries_a_token(
    strict: ServiceHandle,
) -> None:
    url = strict.url + "?token=" + token_for("u1")
    async with await open_ws(url, subprotocols=["agent_chat", "e2e-testing"]) as ws:
        await established(ws)
        assert ws.subprotocol == "e2e-testing"  # the service's order of preference


@pytest.mark.parametrize("name", ["jwt-bare", "jwt-auth-bare", "no-token"])
async def test_known_bad_formats_fail_in_strict_mode(strict: ServiceHandle, name: str) -> None:
    hs = build_bad_handshake(strict.url, token_for("u1"), name)
    async with await open_ws(hs.url, subprotocols=hs.subprotocols) as ws:
        frame = await recv_json(ws)
        assert frame["type"] == "error_message"
        assert frame["error_code"] == "AUTH_FAILED"
        assert "credentials" in frame["error_message"]
        code, reason = await close_code_after(ws)
    assert (code, reason) == (1008, "Authentication failed")
    assert strict.active_connections == 0


async def test_unsupported_subprotocol_is_accepted_then_closed_1003(strict: ServiceHandle) -> None:
    hs = build_bad_handshake(strict.url, token_for("u1"), "unsupported-subprotocol")
    url = strict.url + "?token=" + token_for("u1")  # even with a valid token
    async with await open_ws(url, subprotocols=hs.subprotocols) as ws:
        assert ws.subprotocol is None
        assert await close_code_after(ws) == (1003, "No supported subprotocols")


def test_all_known_bad_formats_are_covered() -> None:
    assert set(KNOWN_BAD_FORMATS) == {
        "jwt-bare",
        "jwt-auth-bare",
        "no-token",
        "unsupported-subprotocol",
    }


@pytest.mark.parametrize(
    ("case", "code_expected"),
    [
        ("expired", "expired"),
        ("wrong_secret", "bad_signature"),
        ("wrong_issuer", "wrong_issuer"),
        ("type_without_token_type", "wrong_token_type"),
        ("refresh_token", "wrong_token_type"),
        ("too_old", "too_old"),
        ("wrong_audience", "wrong_audience"),
    ],
)
async def test_strict_rejects_like_the_service(
    strict: ServiceHandle, case: str, code_expected: str
) -> None:
    now = time.time()
    token = {
        "expired": lambda: token_for("u1", now=now - 7200, ttl="15m"),
        "wrong_secret": lambda: token_for("u1", key="some-other-secret-of-sufficient-length"),
        "wrong_issuer": lambda: token_for("u1", claims={"iss": "netra-test"}),
        "type_without_token_type": lambda: token_for(
            "u1", claims={"token_type": None, "type": "access"}
        ),
        "refresh_token": lambda: token_for("u1", token_type="refresh"),
        "too_old": lambda: token_for("u1", now=now - 90000, ttl="48h"),
        "wrong_audience": lambda: token_for("u1", claims={"aud": "netra-api"}),
    }[case]()
    async with await open_ws(strict.url, subprotocols=golden(token)) as ws:
        frame = await recv_json(ws)
        assert frame["error_code"] == "AUTH_FAILED"
        assert code_expected in frame["details"]["failures"]
        assert token not in json.dumps(frame)  # never echo the credential
        assert "characters)" not in json.dumps(frame)  # nor say how long the secret is
        assert await close_code_after(ws) == (1008, "Authentication failed")


async def test_factory_mode_refuses_with_http_403(strict: ServiceHandle) -> None:
    with pytest.raises(InvalidStatus) as info:
        await open_ws(strict.ws_url("/ws/factory"), subprotocols=["jwt", token_for("u1")])
    assert info.value.response.status_code == 403
    with pytest.raises(InvalidStatus):
        await open_ws(strict.ws_url("/ws", mode="factory"))
    async with await open_ws(strict.ws_url("/ws/factory"), subprotocols=golden(token_for())) as ws:
        assert (await established(ws))["mode"] == "factory"


async def test_older_authenticator_closes_1011() -> None:
    async with (
        run_service(EmulatorConfig(timing=FAST, auth_close_code=1011)) as svc,
        await open_ws(svc.url) as ws,
    ):
        assert (await recv_json(ws))["error_code"] == "AUTH_FAILED"
        assert await close_code_after(ws) == (1011, "Authentication failed")
    async with (
        run_service(EmulatorConfig(timing=FAST)) as svc,
        await open_ws(svc.ws_url("/ws", auth_close="1011")) as ws,
    ):
        assert (await close_code_after(ws))[0] == 1011


async def test_demo_mode_accepts_anything_and_reports_demo_user() -> None:
    async with run_service(EmulatorConfig(auth=AuthMode.DEMO, timing=FAST)) as svc:
        bad = build_bad_handshake(svc.url, token_for("u1"), "jwt-bare")
        for subprotocols in (bad.subprotocols, ["jwt-auth", "jwt.not-a-token-at-all"], None):
            async with await open_ws(svc.url, subprotocols=subprotocols) as ws:
                assert (await established(ws))["user_id"] == "demo-use..."
        # Even a valid token does not give its sub back: that is how DEMO mode shows.
        async with await open_ws(svc.url, subprotocols=golden(token_for("real-user"))) as ws:
            await established(ws)
            await ws.send(json.dumps({"type": "user_message", "payload": {"content": "hi"}}))
            started = await recv_json(ws)
            assert started["data"]["user_id"] == DEMO_USER_ID


async def test_relaxed_and_emergency_modes() -> None:
    async with run_service(EmulatorConfig(auth=AuthMode.RELAXED, timing=FAST)) as svc:
        async with await open_ws(svc.url, subprotocols=golden(token_for("good"))) as ws:
            assert (await established(ws))["user_id"] == "good"
        ids = []
        for _ in range(2):
            async with await open_ws(svc.url, subprotocols=["jwt", "garbage-token-x"]) as ws:
                ids.append((await established(ws))["user_id"])
        assert all(i.startswith("relaxed_") for i in ids)
    async with (
        run_service(EmulatorConfig(auth=AuthMode.EMERGENCY, timing=FAST)) as svc,
        await open_ws(svc.url, subprotocols=golden(token_for("good"))) as ws,
    ):
        assert (await established(ws))["user_id"].startswith("emergenc")


async def test_relaxed_ids_are_numbered() -> None:
    async with run_service(EmulatorConfig(auth=AuthMode.RELAXED, timing=FAST)) as svc:
        seen = []
        for _ in range(2):
            async with await open_ws(svc.url) as ws:
                await established(ws)
                await ws.send(json.dumps({"type": "user_message", "payload": {"content": "x"}}))
                seen.append((await recv_json(ws))["data"]["user_id"])
        assert seen == ["relaxed_1", "relaxed_2"]


def _post_ticket(svc: ServiceHandle, token: str | None) -> tuple[int, dict[str, object]]:
    req = urllib.request.Request(svc.http_base + "/api/websocket/ticket", data=b"", method="POST")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=scaled(5)) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read())


async def test_single_use_ticket(strict: ServiceHandle) -> None:
    status, body = await asyncio.to_thread(_post_ticket, strict, token_for("ticket-user"))
    assert status == 200
    assert set(body) == {"ticket_id", "expires_at", "ttl_seconds", "websocket_url"}
    assert body["websocket_url"] == strict.url
    url = f"{strict.url}?ticket={body['ticket_id']}"
    async with await open_ws(url) as ws:
        assert (await established(ws))["user_id"] == "ticket-u..."
    async with await open_ws(url) as ws:  # second use fails
        frame = await recv_json(ws)
        assert "already used" in frame["error_message"]
        assert (await close_code_after(ws))[0] == 1008
    status, body = await asyncio.to_thread(_post_ticket, strict, None)
    assert status == 401
    status, _ = await asyncio.to_thread(_post_ticket, strict, "not-a-jwt")
    assert status == 401
