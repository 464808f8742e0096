"""The single-use ticket transport (PROTOCOL.md §2 item 3) against the real embedded service on a
loopback port: connect, reconnect with a fresh ticket, reuse refused, ticket request errors, auto
falling through to tickets, and no token or ticket id in cassettes, marks or CLI output.

Answers the embedded service never gives (not JSON, no ticket_id, a redirect, silence) come from a
hand-made HTTP server on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from timeouts import scaled

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.emulator import (
    AuthMode,
    EmulatorConfig,
    ServiceHandle,
    ThreadedService,
    TimingProfile,
    run_service,
    start_in_thread,
)
from netra_diag.emulator.auth import TicketStore
from netra_diag.errors import ConnectFailed, HandshakeRejected, SessionClosed, UsageError
from netra_diag.live import RunOutcome, Session
from netra_diag.live.ticket import (
    TicketRejected,
    TicketRequestFailed,
    request_ticket,
    ticket_request_url,
    url_with_ticket,
)
from netra_diag.recording import load_cassette
from netra_diag.recording_format import expand_secrets
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

SUB = "user-tk-5e6f7a8b"
JWT_LIKE = re.compile(r"eyJ[A-Za-z0-9_-]{6,}|ZXlK[A-Za-z0-9_-]{6,}")
INSTANT = TimingProfile.instant()


def make_token(sub: str = SUB) -> str:
    return mint_token(sub, key=LOCAL_DEV_SECRET, now=time.time())


def tickets_of(svc: ServiceHandle | ThreadedService) -> TicketStore:
    handle = svc.handle if isinstance(svc, ThreadedService) else svc
    return handle._service.auth.tickets


def assert_no_secret(text: str, *secrets: str) -> None:
    """Neither a secret nor its base64url disguise, nor anything JWT-shaped, is in ``text``."""
    assert not JWT_LIKE.search(text), JWT_LIKE.search(text)
    for secret in expand_secrets(secrets):
        assert secret not in text


@pytest.fixture
async def strict() -> AsyncIterator[ServiceHandle]:
    async with run_service(EmulatorConfig(auth=AuthMode.STRICT, timing=INSTANT)) as svc:
        yield svc


@pytest.fixture
async def tickets_only() -> AsyncIterator[ServiceHandle]:
    cfg = EmulatorConfig(auth=AuthMode.STRICT, timing=INSTANT, transports={"ticket"})
    async with run_service(cfg) as svc:
        yield svc


# -- the transport -------------------------------------------------------------------------------


async def test_ticket_transport_connects_as_the_tokens_user(strict: ServiceHandle) -> None:
    async with Session.connect(strict.url, token=make_token(), transport="ticket") as session:
        assert session.transport == "ticket"
        assert session.auth.validated is True, session.auth
        assert session.auth.token_sub == SUB
        assert session.handshake.server_user_id is not None
        assert SUB.startswith(session.handshake.server_user_id.removesuffix("..."))
        assert [(a.transport, a.outcome) for a in session.attempts] == [("ticket", "validated")]
        issued = [m.data for m in session.marks if m.name == "ticket_issued"]
        assert len(issued) == 1
        assert issued[0]["url"] == ticket_request_url(strict.url)
        assert issued[0]["status"] == 200
        assert issued[0]["ttl_seconds"] == strict.config.ticket_ttl_s
        assert issued[0]["websocket_url_same_origin"] is True
        names = [m.name for m in session.marks]
        assert names.index("ticket_issued") < names.index("connect_start")
        run = await session.run("cost report", timeout=scaled(10))
        assert run.outcome is RunOutcome.COMPLETED, run.summary()
    assert len(tickets_of(strict).redeemed()) == 1


async def test_ticket_goes_to_the_url_named_with_its_query_kept(strict: ServiceHandle) -> None:
    url = strict.ws_url("/api/v1/websocket", envelope="b")
    async with Session.connect(url, token=make_token(), transport="ticket") as session:
        assert session.auth.validated is True
        assert session.handshake.mode == "main"
        shown = session.handshake.url
        assert shown.startswith(url + "&ticket=")  # the advertised /ws was not followed
        (ticket,) = tickets_of(strict).redeemed()
        assert ticket not in shown


def test_url_with_ticket_keeps_parameters_and_replaces_an_old_ticket() -> None:
    url = url_with_ticket("wss://h.example:8443/ws?mode=factory&ticket=old&a=1", "t-new")
    assert url == "wss://h.example:8443/ws?mode=factory&a=1&ticket=t-new"
    assert ticket_request_url("wss://u:pw@h.example:8443/ws?x=1") == (
        "https://h.example:8443/api/websocket/ticket"
    )
    assert ticket_request_url("ws://[::1]:9000/ws") == "http://[::1]:9000/api/websocket/ticket"
    with pytest.raises(UsageError):
        ticket_request_url("http://h.example/ws")


async def test_reconnect_gets_a_fresh_ticket(strict: ServiceHandle, tmp_path: Path) -> None:
    token = make_token()
    path = tmp_path / "ticket.jsonl"
    async with Session.connect(strict.url, token=token, transport="ticket", record=path) as session:
        await session.reconnect()
        assert session.is_open and session.auth.validated
        assert session.transport == "ticket"
        assert sum(m.name == "ticket_issued" for m in session.marks) == 2
        run = await session.run("after reconnect", timeout=scaled(10))
        assert run.outcome is RunOutcome.COMPLETED
        marks_text = json.dumps([m.data for m in session.marks])
        handshake_text = json.dumps(session.handshake.to_dict())
    used = tickets_of(strict).redeemed()
    assert len(used) == 2  # two tickets, each used once
    text = path.read_text()
    for shown in (text, marks_text, handshake_text):
        assert_no_secret(shown, token, *used)
    cas = load_cassette(path)
    assert cas.header.transport == "ticket"
    assert sum(m.name == "ticket_issued" for m in cas.marks) == 2


async def test_a_reused_ticket_is_refused(strict: ServiceHandle) -> None:
    ticket = await request_ticket(strict.url, make_token(), open_timeout=scaled(5))
    assert ticket.ttl_seconds == strict.config.ticket_ttl_s
    assert "ticket_id" not in repr(ticket) and ticket.ticket_id not in repr(ticket)
    url = url_with_ticket(strict.url, ticket.ticket_id)
    async with Session.connect(url, transport="none") as session:
        assert session.handshake.server_user_id is not None
        assert SUB.startswith(session.handshake.server_user_id.removesuffix("..."))
    with pytest.raises(SessionClosed) as info:
        await Session.connect(url, transport="none")
    assert info.value.code == 1008
    assert "already used" in info.value.explanation


async def test_expired_and_unknown_tickets_are_refused() -> None:
    cfg = EmulatorConfig(auth=AuthMode.STRICT, timing=INSTANT, ticket_ttl_s=0.05)
    async with run_service(cfg) as svc:
        ticket = await request_ticket(svc.url, make_token(), open_timeout=scaled(5))
        await asyncio.sleep(0.2)
        with pytest.raises(SessionClosed) as expired:
            await Session.connect(url_with_ticket(svc.url, ticket.ticket_id), transport="none")
        assert expired.value.code == 1008 and "expired" in expired.value.explanation
        with pytest.raises(SessionClosed) as unknown:
            await Session.connect(url_with_ticket(svc.url, "no-such-ticket"), transport="none")
        assert unknown.value.code == 1008 and "unknown ticket" in unknown.value.explanation


async def test_a_wrong_token_names_the_ticket_requests_status(strict: ServiceHandle) -> None:
    bad = mint_token(SUB, key="another-secret-of-sufficient-length-123", now=time.time())
    with pytest.raises(TicketRejected) as info:
        await Session.connect(strict.url, token=bad, transport="ticket")
    exc = info.value
    assert isinstance(exc, HandshakeRejected) and exc.status == 401
    message = str(exc)
    assert message.startswith(f"ticket request POST {ticket_request_url(strict.url)} refused")
    assert "HTTP 401" in message and "signature" in message
    assert_no_secret(message + exc.body, bad)
    assert not tickets_of(strict).redeemed()


async def test_ticket_transport_needs_a_token(strict: ServiceHandle) -> None:
    with pytest.raises(UsageError, match="needs a token"):
        await Session.connect(strict.url, token=None, transport="ticket")


# -- auto ----------------------------------------------------------------------------------------


async def test_auto_falls_through_to_ticket(tickets_only: ServiceHandle, tmp_path: Path) -> None:
    calls: list[str] = []

    def factory() -> str:
        calls.append(make_token())
        return calls[-1]

    path = tmp_path / "auto.jsonl"
    async with Session.connect(tickets_only.url, token=factory, record=path) as session:
        assert session.transport == "ticket"
        assert session.auth.validated is True
        tried = [(a.transport, a.outcome, a.close_code) for a in session.attempts]
        assert tried == [
            ("header", "closed", 1008),
            ("subprotocol", "closed", 1008),
            ("query", "closed", 1008),
            ("ticket", "validated", None),
        ]
        marks_text = json.dumps([m.data for m in session.marks])
    assert len(calls) == 4  # a fresh token per attempt
    assert_no_secret(path.read_text() + marks_text, *calls, *tickets_of(tickets_only).redeemed())


async def test_auto_reports_the_websockets_refusal_before_the_ticket_requests(
    strict: ServiceHandle,
) -> None:
    bad = mint_token(SUB, key="another-secret-of-sufficient-length-123", now=time.time())
    with pytest.raises(SessionClosed) as info:
        await Session.connect(strict.url, token=bad)
    assert info.value.code == 1008
    assert "ticket: rejected HTTP 401" in info.value.explanation


async def test_restricted_service_names_the_refused_transport(
    tickets_only: ServiceHandle,
) -> None:
    with pytest.raises(SessionClosed) as info:
        await Session.connect(tickets_only.url, token=make_token(), transport="header")
    assert info.value.code == 1008
    assert "credentials sent by header are not accepted here" in info.value.explanation


def test_emulator_transports_option_is_validated() -> None:
    assert EmulatorConfig(transports={"Ticket", "query"}).transports == {"ticket", "query"}
    assert EmulatorConfig(transports=frozenset({"header"})).transports == {"header"}
    for bad in ({"carrier-pigeon"}, set()):
        with pytest.raises(UsageError, match="transports must name"):
            EmulatorConfig(transports=bad)
    with pytest.raises(UsageError, match="ticket_ttl_s"):
        EmulatorConfig(ticket_ttl_s=0)


# -- ticket request failures (a hand-made HTTP server on loopback) -------------------------------

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def answering(response: bytes) -> Handler:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(response)
        await writer.drain()

    return handle


def http(status: str, body: bytes, *headers: str) -> bytes:
    head = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", *headers, "", ""]
    return "\r\n".join(head).encode() + body


@contextlib.asynccontextmanager
async def serving(handler: Handler) -> AsyncIterator[str]:
    """``handler`` behind a loopback port; yields a ws:// URL on it. Every connection is closed
    and every handler finished before the block is left."""
    finished: list[asyncio.Future[None]] = []

    async def wrapped(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        done = asyncio.get_running_loop().create_future()
        finished.append(done)
        try:
            await handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client gave up first: what some tests are about
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
            done.set_result(None)

    server = await asyncio.start_server(wrapped, "127.0.0.1", 0)
    async with server:
        yield f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/ws"
        async with asyncio.timeout(scaled(5)):
            await asyncio.gather(*finished)


@pytest.mark.parametrize(
    ("response", "needle"),
    [
        (http("200 OK", b"<html>hi</html>"), "not JSON"),
        (http("200 OK", b"[1, 2]"), "JSON list, not an object"),
        (http("200 OK", b'{"ticket": "abcdefgh", "ok": true}'), "no ticket_id string"),
        (http("404 Not Found", b'{"detail": "Not Found"}'), "refused with HTTP 404"),
        (
            http("307 Temporary Redirect", b"", "Location: http://elsewhere.example/t"),
            "refused with HTTP 307",
        ),
    ],
)
async def test_unusable_ticket_answers_are_ticket_errors(response: bytes, needle: str) -> None:
    token = make_token()
    async with serving(answering(response)) as url:
        with pytest.raises(TicketRejected) as info:
            await Session.connect(url, token=token, transport="ticket", open_timeout=scaled(5))
    message = str(info.value)
    assert message.startswith("ticket request POST http://127.0.0.1:")
    assert needle in message
    assert "abcdefgh" not in message  # values of a JSON without ticket_id are not shown
    assert_no_secret(message, token)


async def test_chunked_ticket_answer_is_read() -> None:
    doc = json.dumps({"ticket_id": "tk-chunked-0123", "ttl_seconds": 30}).encode()
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (doc[:10], doc[10:]))
    response = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n"
    async with serving(answering(response)) as url:
        ticket = await request_ticket(url, make_token(), open_timeout=scaled(5))
    assert ticket.ticket_id == "tk-chunked-0123" and ticket.ttl_seconds == 30


async def test_the_ticket_request_carries_the_bearer_token_and_no_body() -> None:
    seen: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(http("200 OK", b'{"ticket_id": "tk-0123456789"}'))

    token = make_token()
    async with serving(handle) as url:
        await request_ticket(url + "?mode=factory", token, open_timeout=scaled(5))
    head = seen[0].decode()
    assert head.startswith("POST /api/websocket/ticket HTTP/1.1\r\n")
    assert f"\r\nAuthorization: Bearer {token}\r\n" in head
    assert "\r\nContent-Length: 0\r\n" in head
    assert f"\r\nHost: {url.removeprefix('ws://').removesuffix('/ws')}\r\n" in head


async def test_the_advertised_websocket_url_is_recorded_never_followed(tmp_path: Path) -> None:
    requests: list[str] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        requests.append(head.split("\r\n", 1)[0])
        if head.startswith("POST "):
            doc = {"ticket_id": "tk-elsewhere-0123", "websocket_url": "ws://elsewhere.example/ws"}
            writer.write(http("200 OK", json.dumps(doc).encode()))
        else:
            writer.write(http("403 Forbidden", b"no"))

    path = tmp_path / "elsewhere.jsonl"
    async with serving(handle) as url:
        with pytest.raises(HandshakeRejected) as info:
            await Session.connect(url, token=make_token(), transport="ticket", record=path)
    assert not isinstance(info.value, TicketRejected)  # the upgrade was refused, on our host
    assert info.value.status == 403 and info.value.url.startswith(url + "?ticket=")
    assert requests[0] == "POST /api/websocket/ticket HTTP/1.1"
    assert requests[1].startswith("GET /ws?ticket=")
    (issued,) = [m.data for m in load_cassette(path).marks if m.name == "ticket_issued"]
    assert issued["websocket_url"] == "ws://elsewhere.example/ws"
    assert issued["websocket_url_same_origin"] is False
    assert "tk-elsewhere-0123" not in path.read_text() + str(info.value)


async def test_proxy_variables_are_ignored(
    strict: ServiceHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens there
    ticket = await request_ticket(strict.url, make_token(), open_timeout=scaled(5))
    assert ticket.status == 200


async def test_wss_speaks_tls_to_the_ticket_endpoint() -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(http("400 Bad Request", b"plain HTTP here"))  # not a TLS answer
        await writer.drain()

    async with serving(handle) as url:
        with pytest.raises(TicketRequestFailed) as info:
            await request_ticket(
                url.replace("ws://", "wss://"), make_token(), open_timeout=scaled(5)
            )
    assert str(info.value).startswith("ticket request POST https://127.0.0.1:")


async def test_a_silent_ticket_endpoint_times_out_within_open_timeout() -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # never answers; returns when the client gives up

    async with serving(handle) as url:
        started = time.monotonic()
        with pytest.raises(TicketRequestFailed) as info:
            await Session.connect(url, token=make_token(), transport="ticket", open_timeout=0.3)
        assert time.monotonic() - started < scaled(5)
    assert "ticket request POST" in str(info.value) and "no answer within 0.3 s" in str(info.value)


async def test_connection_refused_is_a_ticket_connect_failure() -> None:
    with socket.socket() as sock:  # a loopback port with nothing listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    token = make_token()
    with pytest.raises(ConnectFailed) as info:
        await Session.connect(f"ws://127.0.0.1:{port}/ws", token=token, transport="ticket")
    assert isinstance(info.value, TicketRequestFailed)
    assert "ticket request POST" in str(info.value) and "refused" in str(info.value)
    assert_no_secret(str(info.value), token)


# -- the CLI -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def threaded() -> Iterator[ThreadedService]:
    timing = TimingProfile(time_scale=0, tool_calls=(1, 2))
    with start_in_thread(EmulatorConfig(auth=AuthMode.STRICT, timing=timing)) as svc:
        yield svc


@pytest.mark.parametrize("as_json", [False, True])
def test_probe_with_ticket_transport(
    threaded: ThreadedService,
    as_json: bool,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    token = make_token()
    monkeypatch.setenv("NETRA_TICKET_TEST_TOKEN", token)
    record = tmp_path / "probe.jsonl"
    argv = ["probe", threaded.url, "--transport", "ticket", "--token-env"]
    argv += ["NETRA_TICKET_TEST_TOKEN", "--record", str(record)]
    code = main([*argv, "--json"] if as_json else argv)
    out = capsys.readouterr().out
    assert code == ExitCode.OK, out
    if as_json:
        summary = json.loads(out)
        assert summary["handshake"]["transport"] == "ticket"
        assert summary["auth"]["validated"] is True
    else:
        assert "transport=ticket" in out and "attempt ticket: validated" in out
    assert_no_secret(out + record.read_text(), token, *tickets_of(threaded).redeemed())


def test_probe_help_names_the_ticket_transport(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["probe", "--help"])
    assert "ticket (a single-use ticket" in " ".join(capsys.readouterr().out.split())
