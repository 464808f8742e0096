"""Token facts worked out before a fan-out's ramp: the same as a session works out itself,
handed to the first session that uses the token, never kept longer than asked."""

from __future__ import annotations

import time
from pathlib import Path

from netra_diag.emulator import AuthMode, EmulatorConfig, TimingProfile, run_service
from netra_diag.live import RunOutcome, Session, token_facts
from netra_diag.live.handshake import make_handshake
from netra_diag.live.token_facts import (
    forget_prepared,
    prepare_tokens,
    take_prepared,
)
from netra_diag.recording import load_cassette
from netra_diag.recording_format import expand_secrets
from netra_diag.redaction import fingerprint
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token, token_sub_exp

URL = "ws://127.0.0.1:1/ws"


def token(user: str = "user-facts") -> str:
    return mint_token(user, key=LOCAL_DEV_SECRET, now=time.time())


def test_facts_are_what_a_session_works_out() -> None:
    tok = token()
    facts = token_facts.token_facts(tok, URL, "header")
    assert (facts.sub, facts.exp) == token_sub_exp(tok)
    assert facts.fingerprint == fingerprint(tok)
    assert facts.secrets == expand_secrets([tok])
    assert facts.handshake == make_handshake(URL, tok, "header")
    assert facts.handshake_of(URL, "header") is facts.handshake
    assert facts.handshake_of(URL, "query") is None
    assert facts.handshake_of("ws://127.0.0.1:2/ws", "header") is None
    # a handshake that cannot be built is left to the session's attempt
    assert token_facts.token_facts(tok, URL, "ticket").handshake is None
    assert token_facts.token_facts(tok).handshake is None


def test_prepared_facts_go_to_one_taker_and_can_be_forgotten() -> None:
    a, b = token("user-a"), token("user-b")
    prepare_tokens([a, b, ""], URL, "header")
    try:
        got = take_prepared(a)
        assert got is not None and got.sub == "user-a"
        assert take_prepared(a) is None  # taken once
        forget_prepared([a, b])
        assert take_prepared(b) is None
    finally:
        forget_prepared([a, b])


async def test_a_session_with_a_prepared_token_records_and_judges_the_same(
    tmp_path: Path,
) -> None:
    cfg = EmulatorConfig(auth=AuthMode.STRICT, timing=TimingProfile.instant())
    async with run_service(cfg) as svc:
        results = []
        for prepared in (False, True):
            tok = token()
            if prepared:
                prepare_tokens([tok], svc.url, "header")
            path = tmp_path / f"prepared-{prepared}.jsonl"
            try:
                async with Session.connect(
                    svc.url, token=tok, record=path, ping_every=None
                ) as session:
                    assert take_prepared(tok) is None  # the session took it
                    run = await session.run("hello", timeout=10)
                    assert run.outcome is RunOutcome.COMPLETED
                    results.append((session.auth.validated, session.transport))
                    assert session.token_fingerprint == fingerprint(tok)
            finally:
                forget_prepared([tok])
            cas = load_cassette(path)
            assert cas.header.token_fingerprint == fingerprint(tok)
            assert cas.header.user == "user-facts"
            assert tok not in path.read_text()
            names = [m.name for m in cas.marks]
            assert names[:4] == [
                "connect_start",
                "upgrade_done",
                "connection_established",
                "transport_attempt",
            ]
    assert results == [(True, "header"), (True, "header")]
