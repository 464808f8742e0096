"""One test over several parameters, failing alike: one cluster, not one per parameter value.

Signatures keep quoted names on purpose: "unexpected keyword argument 'expires_in_seconds'" and
"… 'ttl'" are two causes. But ``test_x[a]`` and ``test_x[b]`` failing with "unknown transport
'a'" and "… 'b'" are one cause that quotes its own parameter. Their signatures are merged here,
after signing, when the failures are the same test function (node ids equal without their
``[…]``) with the same exception type and frame, and the messages are equal once the parameter
value is taken out. Different test functions are never merged on that ground: only a
parameter of the same function links two signatures (a test of another function goes along
only where its message is exactly that of one of them, which the signature said already).

The value is taken out where the message quotes it, or where it stands in the message verbatim
as a word of its own ("header rejected" for ``test_x[header]``; not in "subheader", and not a
value of fewer than two letters or digits, such as "a", which reads as a word of the message
too often). A message that differs in more than the value stays apart: "header: token expired"
and "query: bad signature" are two causes.

Only signatures whose messages are equal with every quoted text taken out, or that differ in one
word, and raised in one frame (few, if any) have their tests looked at: nothing here is done per
test of the run.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from typing import NamedTuple

from netra_diag.suites.model import TestCase
from netra_diag.suites.signatures import Signature, normalise_message
from netra_diag.wording import plural

__all__ = ["PARAMETER", "ParameterMerge", "parameter_merges", "split_parameter"]

# What stands for the parameter in a merged cluster's message.
PARAMETER = "<param>"
_QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"")
_LISTED = 3  # parameter values named in words
_UNQUOTED_LEAST = 2  # letters and digits of a value looked for where the message does not quote it


class ParameterMerge(NamedTuple):
    """Signatures (``keys``, in report order) that are one test over several parameters:
    ``signature`` has the parameter as ``<param>`` in its message; ``words`` say why."""

    keys: tuple[str, ...]
    signature: Signature
    words: str


def split_parameter(test_id: str) -> tuple[str, str] | None:
    """``("m::test_x", "a-b")`` for ``m::test_x[a-b]``; ``None`` for a test without parameters.

    A dotted classname has no ``[``: the first one opens the parameters (which may hold ``[``
    or ``::`` themselves)."""
    if not test_id.endswith("]"):
        return None
    start = test_id.find("[")
    if start <= 0:
        return None
    return test_id[:start], test_id[start + 1 : -1]


def parameter_merges(
    groups: Mapping[str, Sequence[TestCase]], signatures: Mapping[str, Signature]
) -> list[ParameterMerge]:
    """The signatures (keys of ``groups``, each with its tests) to merge, one merge per test
    function's set of them (see the module's docstring)."""
    parent: dict[str, str] = {}
    for keys in (*_quoting_alike(signatures), *_one_word_apart(signatures)):
        first = _root(parent, keys[0])
        for other in keys[1:]:
            parent[_root(parent, other)] = first
    candidates: dict[str, list[str]] = {}
    for key in signatures:  # (in report order: so is each set)
        if key in parent:
            candidates.setdefault(_root(parent, key), []).append(key)
    merges: list[ParameterMerge] = []
    for keys in candidates.values():
        merges += _merges_among(keys, groups, signatures)
    return merges


def _quoting_alike(signatures: Mapping[str, Signature]) -> Iterator[list[str]]:
    """Signatures raised alike whose messages are equal with every quoted text taken out."""
    alike: dict[tuple[str, str, str], list[str]] = {}
    for key, sig in signatures.items():
        if "'" in sig.message or '"' in sig.message:
            loose = (sig.exc_type, _QUOTED.sub("'…'", sig.message), sig.frame)
            alike.setdefault(loose, []).append(key)
    return (keys for keys in alike.values() if len(keys) > 1)


def _one_word_apart(signatures: Mapping[str, Signature]) -> Iterator[list[str]]:
    """Signatures of one exception type and frame whose messages differ in one word (a run of
    characters between spaces): each message's words are hashed before and after each place,
    so that two messages one word apart meet at that place without comparing them in pairs."""
    at: dict[tuple[str, str], list[str]] = {}
    for key, sig in signatures.items():
        at.setdefault((sig.exc_type, sig.frame), []).append(key)
    for keys in at.values():
        if len(keys) < 2:
            continue
        apart: dict[tuple[int, int, int, int], list[str]] = {}
        for key in keys:
            words = signatures[key].message.split()
            n = len(words)
            before = [0] * (n + 1)
            after = [0] * (n + 1)
            for i in range(n):
                before[i + 1] = hash((before[i], words[i]))
                after[n - 1 - i] = hash((after[n - i], words[n - 1 - i]))
            for i in range(n):
                apart.setdefault((n, i, before[i], after[i + 1]), []).append(key)
        yield from (found for found in apart.values() if len(found) > 1)


class _Masked(NamedTuple):
    function: str
    parameter: str
    message: str


def _merges_among(
    keys: Sequence[str],
    groups: Mapping[str, Sequence[TestCase]],
    signatures: Mapping[str, Signature],
) -> list[ParameterMerge]:
    """Merges among signatures that differ at most in quoted text."""
    normalised: dict[str, str] = {}
    masked: dict[str, list[_Masked]] = {}  # by signature: its tests that quote their parameter
    owners: dict[tuple[str, str], list[str]] = {}  # (function, masked message) -> signatures
    for key in keys:
        message = signatures[key].message
        for case in groups[key]:
            split = split_parameter(case.test_id)
            if split is None:
                continue
            function, parameter = split
            without = _mask(message, parameter, normalised)
            if without == message:
                continue  # its parameter is not what the message quotes
            masked.setdefault(key, []).append(_Masked(function, parameter, without))
            found = owners.setdefault((function, without), [])
            if key not in found:
                found.append(key)
    parent = {key: key for key in keys}
    for found in owners.values():
        for other in found[1:]:
            parent[_root(parent, other)] = _root(parent, found[0])
    parts: dict[str, list[str]] = {}
    for key in keys:  # (in report order: so is each part)
        parts.setdefault(_root(parent, key), []).append(key)
    merges = []
    for part in parts.values():
        if len(part) < 2:
            continue
        quoting = [m for key in part for m in masked.get(key, ())]
        first = signatures[part[0]]
        merged = Signature(first.exc_type, quoting[0].message, first.frame, first.raw_message)
        merges.append(ParameterMerge(tuple(part), merged, _words(quoting)))
    return merges


def _root(parent: dict[str, str], key: str) -> str:
    parent.setdefault(key, key)
    while parent[key] != key:
        parent[key] = parent[parent[key]]
        key = parent[key]
    return key


def _mask(message: str, parameter: str, normalised: dict[str, str]) -> str:
    """``message`` with its ``parameter`` (or one value of a ``a-b`` pair, as pytest joins them
    into one id) as ``<param>``, quoted or as a word of its own (see the module's docstring);
    the value as the signature normalised it too."""
    values = [parameter, *parameter.split("-")] if "-" in parameter else [parameter]
    # Each form with whether it may be looked for unquoted: judged on the value as written, so
    # that "v2" and "100" count as what they are though the message has them as "v<n>", "<n>".
    forms: dict[str, bool] = {}
    for value in values:
        if not value:
            continue
        same = normalised.get(value)
        if same is None:
            same = normalised[value] = normalise_message(value)
        telling = _telling(value)
        for form in (value, same):
            forms[form] = forms.get(form, False) or telling
    for form in forms:
        for quote in "'\"":
            message = message.replace(f"{quote}{form}{quote}", f"{quote}{PARAMETER}{quote}")
    # (quoted first: "'header'" is then "'<param>'", which the word below no longer matches)
    for form, telling in forms.items():
        if telling and form in message:
            message = _as_word(form).sub(PARAMETER, message)
    return message


@lru_cache(maxsize=1024)
def _telling(value: str) -> bool:
    """Whether a parameter ``value`` has letters or digits enough to be looked for unquoted."""
    return sum(c.isalnum() for c in value) >= _UNQUOTED_LEAST


@lru_cache(maxsize=1024)
def _as_word(form: str) -> re.Pattern[str]:
    # not inside a word, nor inside a placeholder ("<param>", "<uuid>") of the message
    return re.compile(rf"(?<![\w<]){re.escape(form)}(?![\w>])")


def _words(quoting: Sequence[_Masked]) -> str:
    """``one test over 4 parameters ('header', 'query', 'ticket', +1 more), messages differ only
    in the parameter``."""
    functions = dict.fromkeys(m.function for m in quoting)
    values = list(dict.fromkeys(m.parameter for m in quoting))
    listed = ", ".join(repr(v) for v in values[:_LISTED])
    if len(values) > _LISTED:
        listed += f", +{len(values) - _LISTED} more"
    over = f"over {plural(len(values), 'parameter')} ({listed})"
    if len(functions) == 1:
        return f"one test {over}, messages differ only in the parameter"
    return f"{len(functions)} tests {over}, each test's messages differ only in its parameter"
