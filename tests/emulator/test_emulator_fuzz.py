"""Hypothesis fuzzing of the service's frame handling: arbitrary text, bytes and JSON never crash
it, and it still answers ``ping`` afterwards on the same connection."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlencode

from emulator_testkit import golden, scaled, token_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from netra_diag.emulator import EmulatorConfig, Fault, FaultPlan, TimingProfile, start_in_thread
from netra_diag.emulator.protocol import (
    AGENT_REQUEST_TYPES,
    START_AGENT_TYPES,
    USER_MESSAGE_TYPES,
    MessageKind,
    classify_message,
)
from netra_diag.errors import UsageError
from netra_diag.events.model import REQUEST_TYPES

TYPES = [*sorted(REQUEST_TYPES), "ping", "heartbeat", "system_message"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
typed_frames = st.fixed_dictionaries(
    {"type": st.sampled_from(TYPES) | json_values},
    optional={
        "payload": json_values
        | st.fixed_dictionaries(
            {},
            optional={
                "content": json_values,
                "text": json_values,
                "user_request": json_values,
                "thread_id": json_values,
                "run_id": json_values,
                "context": json_values,
            },
        ),
        "data": json_values,
        "message": json_values,
        "task": json_values,
        "agent": json_values,
        "thread_id": json_values,
    },
)
run_requests = st.builds(
    lambda mtype, key, content, thread: {"type": mtype, "payload": {key: content, **thread}},
    st.sampled_from(TYPES[:9]),
    st.sampled_from(["content", "text", "message", "user_request"]),
    st.text(min_size=1, max_size=40).filter(str.strip),
    st.fixed_dictionaries({}, optional={"thread_id": st.text(max_size=10) | st.integers()}),
)
frames = st.one_of(
    run_requests.map(json.dumps),
    st.text(max_size=200),
    st.binary(max_size=100),
    json_values.map(json.dumps),
    typed_frames.map(json.dumps),
)


@settings(max_examples=300)
@given(frames)
def test_classify_message_never_raises(raw: str | bytes) -> None:
    msg = classify_message(raw)
    assert isinstance(msg.kind, MessageKind)
    if msg.kind is MessageKind.RUN:
        assert msg.content


def test_the_service_starts_a_run_for_every_request_type_the_toolkit_knows() -> None:
    # One list of request types (netra_diag.events.model), read by the contract checks and the
    # latency phases; the service's own must not drift from it.
    service_types = USER_MESSAGE_TYPES | START_AGENT_TYPES | AGENT_REQUEST_TYPES
    assert service_types == REQUEST_TYPES
    for mtype in REQUEST_TYPES:
        # (each kind reads its text from its own field: content, user_request, message)
        payload = {"content": "hi", "user_request": "hi", "message": "hi"}
        msg = classify_message(json.dumps({"type": mtype, "payload": payload}))
        assert msg.kind is MessageKind.RUN, mtype


def test_service_survives_arbitrary_frames() -> None:
    config = EmulatorConfig(
        timing=TimingProfile(time_scale=0.0, thinking_steps=(1, 1), tool_calls=(0, 1))
    )
    token = token_for("fuzz-user")
    with start_in_thread(config) as svc:

        async def exchange(batch: list[str | bytes]) -> None:
            async with connect(svc.url, subprotocols=golden(token)) as ws:
                await asyncio.wait_for(ws.recv(), scaled(5))  # connection_established
                for raw in batch:
                    await ws.send(raw)
                await ws.send(json.dumps({"type": "ping"}))
                # one pong per ping in the batch, then ours
                pongs = 1 + sum(classify_message(raw).kind is MessageKind.PING for raw in batch)
                while pongs:
                    reply: Any = json.loads(await asyncio.wait_for(ws.recv(), scaled(5)))
                    if isinstance(reply, dict) and reply.get("type") == "pong":
                        pongs -= 1

        @settings(max_examples=120, suppress_health_check=[HealthCheck.too_slow], deadline=None)
        @given(st.lists(frames, min_size=1, max_size=5))
        def check(batch: list[str | bytes]) -> None:
            asyncio.run(exchange(batch))

        check()
        assert svc.runs_started > 0  # the fuzzing did reach the agent
        asyncio.run(exchange([]))  # and the service still serves new connections


@settings(max_examples=300)
@given(st.text(max_size=60) | st.lists(st.sampled_from([f.value for f in Fault])).map(",".join))
def test_fault_plan_parse_raises_only_usage_errors(text: str) -> None:
    try:
        plan = FaultPlan.parse(text)
    except UsageError as exc:
        assert str(exc)
    else:
        assert FaultPlan.parse(plan.describe()) == plan


def test_upgrade_query_parameters_never_cause_a_server_error() -> None:
    keys = st.sampled_from(["mode", "envelope", "faults", "stall_s", "time_scale", "auth_close"])
    queries = st.dictionaries(keys | st.text(max_size=8), st.text(max_size=20), max_size=4)
    with start_in_thread(EmulatorConfig(timing=TimingProfile(time_scale=0.0))) as svc:

        async def attempt(query: dict[str, str]) -> None:
            url = svc.url + "?" + urlencode(query)
            try:
                async with connect(url, subprotocols=golden(token_for())) as ws:
                    await asyncio.wait_for(ws.recv(), scaled(5))
            except InvalidStatus as exc:
                # 400 names the bad parameter; 403 is factory mode refusing (e.g. reject_auth)
                assert exc.response.status_code in (400, 403), exc.response.body

        @settings(max_examples=80, suppress_health_check=[HealthCheck.too_slow], deadline=None)
        @given(queries)
        def check(query: dict[str, str]) -> None:
            asyncio.run(attempt(query))

        check()
