"""What ties a received event to a user, for :func:`netra_diag.events.isolation.check_isolation`:
which identity owns each user id, thread id, run id and sent content (:func:`owner_index`), a
matcher that finds another identity's content anywhere in an event (:func:`content_matcher`,
:func:`searchable_text`, :func:`foreign_content`), and the identity the server gave a session
(:func:`observed_identity`). Pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from netra_diag.events.model import Event, TimedEvent

__all__ = [
    "CONTENT_PREFIX",
    "MIN_CONTENT_LENGTH",
    "SYNTHETIC_USER_PREFIXES",
    "TRUNCATED_USER_ID_EVENTS",
    "as_event",
    "content_keys",
    "content_matcher",
    "foreign_content",
    "observed_identity",
    "owner_index",
    "searchable_text",
    "strip_truncation",
]

# Contents shorter than this match by accident ("hi", "ok") and prove nothing about ownership.
MIN_CONTENT_LENGTH = 8
# Services echo a request truncated (the reference service keeps 80 characters), so a content is
# recognised by its first CONTENT_PREFIX characters, stripped.
CONTENT_PREFIX = 64
# User ids the permissive auth modes hand out instead of the token's sub (PROTOCOL.md §2).
SYNTHETIC_USER_PREFIXES: tuple[str, ...] = ("demo-user-", "relaxed_", "emergency_")
# connection_established carries a *truncated* user id (PROTOCOL.md §5): its user_id field says
# nothing about ownership, so it is skipped for the user-id rule (threads and content still count).
TRUNCATED_USER_ID_EVENTS = frozenset({"connection_established"})
_TRUNCATION_MARKERS = ("...", "…")


def as_event(item: Event | TimedEvent) -> tuple[Event, float | None]:
    """The event and its client time (None for an event without one)."""
    if isinstance(item, TimedEvent):
        return item.event, item.t
    return item, None


def owner_index(
    values_by_session: Sequence[Iterable[str]], group_of: Sequence[int]
) -> tuple[dict[str, int], set[str]]:
    """Map each value to the identity group that owns it; values claimed by two groups are
    ambiguous and own nothing."""
    owner: dict[str, int] = {}
    ambiguous: set[str] = set()
    for i, values in enumerate(values_by_session):
        for value in values:
            if not value or value in ambiguous:
                continue
            previous = owner.get(value)
            if previous is None:
                owner[value] = group_of[i]
            elif previous != group_of[i]:
                ambiguous.add(value)
                del owner[value]
    return owner, ambiguous


def content_matcher(contents: Iterable[str]) -> re.Pattern[str] | None:
    """A regex finding, at every position (overlapping, through a lookahead), the longest of
    ``contents`` that starts there.

    The alternatives are arranged as a trie so the C regex engine walks shared prefixes once per
    position; a plain alternation of 1,000 similar messages would be tried one by one at every
    position. Contents are at most ``CONTENT_PREFIX`` characters, which bounds the nesting depth
    (and this function's recursion) whatever the input.
    """
    trie: dict[str, Any] = {}
    for text in contents:
        node = trie
        for ch in text:
            node = node.setdefault(ch, {})
        node[""] = {}  # end of a content
    if not trie:
        return None

    def build(node: Mapping[str, Any]) -> str:
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        # Greedy "?": a longer content is preferred to one that ends here.
        return f"(?:{body})?" if "" in node else body

    return re.compile(f"(?=({build(trie)}))")


def content_keys(contents: Iterable[str]) -> list[str]:
    keys = []
    for content in contents:
        if isinstance(content, str):
            key = content.strip()[:CONTENT_PREFIX]
            if len(key) >= MIN_CONTENT_LENGTH:
                keys.append(key)
    return keys


def searchable_text(event: Event) -> str:
    """Every string value in the event's fields, decoded (a raw frame has JSON escapes that
    would hide a quoted or non-ASCII content), joined by NUL so no match spans two values."""
    out: list[str] = []
    stack: list[Any] = [event.fields]
    while stack:  # iterative: a deeply nested frame must not exhaust the recursion limit
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    if not out and event.raw and not event.fields:
        out.append(event.raw)  # not JSON at all: search the text itself
    return "\x00".join(out)


def foreign_content(
    text: str, matcher: re.Pattern[str], owner: Mapping[str, int], own: int
) -> tuple[str, int] | None:
    """The first content of another identity found in ``text``. At a position where both an own
    and a foreign content start, the longest wins ("user 1" inside "user 10" is not a leak)."""
    for match in matcher.finditer(text):
        found = match.group(1)
        group = owner.get(found)
        if group is not None and group != own:
            return found, group
    return None


def strip_truncation(user_id: str) -> tuple[str, bool]:
    """``user_id`` without its truncation marker, and whether it had one."""
    text = user_id.strip()
    for marker in _TRUNCATION_MARKERS:
        if text.endswith(marker):
            return text[: -len(marker)], True
    return text, False


def observed_identity(
    user_id: str, server_user_id: str | None, events: Iterable[Event | TimedEvent]
) -> str | None:
    """The id the server gave a session that claimed ``user_id`` (its token's sub), reported
    ``server_user_id`` and received ``events``.

    A reported id is used as is unless truncated (``connection_established`` shows 8 characters
    and ``...``): then the full id is the claimed one if the events carry it, else the one full
    id in the events with that prefix, else the claimed one if it has that prefix. Without a
    reported id, it is inferred when every event carrying a user id carries the same synthetic
    one (e.g. ``demo-user-001``)."""
    seen: set[str] = set()
    for item in events:
        event, _ = as_event(item)
        if event.type in TRUNCATED_USER_ID_EVENTS:
            continue
        uid = event.user_id
        if uid:
            seen.add(uid)
    if server_user_id:
        prefix, truncated = strip_truncation(server_user_id)
        if not truncated:
            return server_user_id
        full = sorted(u for u in seen if u.startswith(prefix))
        if user_id in full:
            return user_id
        if len(full) == 1:
            return full[0]
        if user_id.startswith(prefix):
            return user_id
        return server_user_id
    if len(seen) == 1:
        (only,) = seen
        if only != user_id and only.startswith(SYNTHETIC_USER_PREFIXES):
            return only
    return None
