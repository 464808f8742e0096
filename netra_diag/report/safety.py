"""Keep tokens and signing secrets out of notebook parameters and everything a report writes.

Three guards, applied in this order by :func:`netra_diag.report.run_report`:

1. :func:`check_parameters` refuses a parameter whose value looks like a JWT or equals the value of
   a secret environment variable: parameters *name* environment variables (``secret_env``), they
   never carry secrets, because papermill writes every parameter into the executed notebook.
2. :func:`scrub_notebook` replaces every token and every known secret value in cell outputs,
   sources and metadata by its fingerprint (``redaction.scrub`` semantics, see :func:`scrub_text`).
3. :func:`find_leaks` scans the final bytes of each artifact; a report that still contains a secret
   is not written (fail closed).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from typing import Any

from netra_diag.errors import UsageError
from netra_diag.redaction import (
    JWT_PATTERN,
    SECRET_NAME_PATTERN,
    environment_secrets,
    fingerprint,
)

__all__ = [
    "SECRET_NAME_PATTERN",
    "check_parameters",
    "find_leaks",
    "is_token",
    "named_secrets",
    "scrub_json",
    "scrub_notebook",
    "scrub_text",
    "secret_values",
]

# Environment variables whose values are secrets. The profiles' own names (JWT_SECRET_KEY and the
# deprecated per-environment ones) match too; JWT_SECRET is included because test helpers read it.
_MIN_SECRET_LEN = 8  # (as redaction.environment_secrets)
# Parameter names that would carry a secret themselves rather than name where it lives.
_SECRET_PARAM = re.compile(
    r"^(secret|token|jwt|password|passwd|api_key|private_key|key)$"
    r"|_(secret|token|jwt|password|passwd)$",
    re.IGNORECASE,
)


_TOKEN_TEXT = re.compile(rb"eyJ[A-Za-z0-9_-]{16}")


def is_token(candidate: str) -> bool:
    """Whether a ``JWT_PATTERN`` match really is a token.

    A compact JWT (``eyJ…``) always is. The base64url-of-a-JWT form (``ZXlK…``, as carried in a
    subprotocol) also matches random base64 payloads (PNG images, plotly's binary arrays, the
    compressed plotly.js of an HTML report), so it counts only when it decodes to JWT text.
    """
    if candidate.startswith("eyJ"):
        return True
    usable = candidate[: len(candidate) - len(candidate) % 4]
    try:
        decoded = base64.urlsafe_b64decode(usable)
    except (binascii.Error, ValueError):
        return False
    return _TOKEN_TEXT.match(decoded) is not None


def scrub_text(text: str, secrets: Iterable[str] = ()) -> str:
    """``redaction.scrub`` for report artifacts: every token and secret becomes its fingerprint,
    while base64 payloads that merely look like a disguised token are left intact (rewriting
    them would corrupt an image or a figure)."""
    out = JWT_PATTERN.sub(
        lambda m: fingerprint(m.group(0)) if is_token(m.group(0)) else m.group(0), text
    )
    for secret in secrets:
        if secret and len(secret) >= 4 and secret in out:
            out = out.replace(secret, f"<secret {fingerprint(secret)}>")
    return out


def scrub_json(obj: Any, secrets: tuple[str, ...]) -> Any:
    """:func:`scrub_text` over every string of a JSON-like structure, keys included."""
    if isinstance(obj, str):
        return scrub_text(obj, secrets)
    if isinstance(obj, Mapping):
        return {scrub_text(str(k), secrets): scrub_json(v, secrets) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [scrub_json(v, secrets) for v in obj]
    return obj


def secret_values(environ: Mapping[str, str], *, include_local: bool = True) -> tuple[str, ...]:
    """Every secret value this process could leak: values of secret-named environment variables
    (at least 8 characters) and, unless ``include_local`` is false, the built-in local development
    secret the embedded service signs with when ``JWT_SECRET_KEY`` is unset."""
    found = list(environment_secrets(environ))
    if include_local:
        from netra_diag.tokens.profiles import LOCAL_DEV_SECRET

        found.append(LOCAL_DEV_SECRET)
    # Longest first, so a secret that contains another is replaced whole.
    return tuple(sorted(set(found), key=len, reverse=True))


def named_secrets(
    parameters: Mapping[str, Any],
    declared: Mapping[str, Mapping[str, Any]],
    environ: Mapping[str, str],
) -> dict[str, str]:
    """``{value: name}`` of the variables a notebook's ``*_env`` parameters name (given, or
    their defaults): ``-p secret_env SIGNING_KEY`` makes ``$SIGNING_KEY`` a secret although its
    name does not say so. Values under 8 characters are left out, as for secret-named ones."""
    import ast

    found: dict[str, str] = {}
    for key, spec in declared.items():
        if not key.endswith("_env"):
            continue
        name = parameters.get(key)
        if name is None:
            try:
                name = ast.literal_eval(str(spec.get("default", "")))
            except (ValueError, SyntaxError):
                continue
        value = environ.get(str(name).strip(), "") if isinstance(name, str) else ""
        if len(value) >= _MIN_SECRET_LEN:
            found[value] = str(name).strip()
    return found


def _secret_env_names(environ: Mapping[str, str]) -> dict[str, str]:
    return {
        value: name
        for name, value in environ.items()
        if SECRET_NAME_PATTERN.search(name) and len(value) >= _MIN_SECRET_LEN
    }


def _strings(value: Any, path: str) -> Iterable[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, inner in value.items():
            yield from _strings(inner, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for index, inner in enumerate(value):
            yield from _strings(inner, f"{path}[{index}]")


def check_parameters(
    parameters: Mapping[str, Any],
    environ: Mapping[str, str],
    *,
    named: Mapping[str, str] | None = None,
) -> None:
    """Refuse parameters that carry a secret instead of naming where it lives.

    Raises :class:`~netra_diag.errors.UsageError` naming the parameter (never the value) when a
    value looks like a JWT, equals or contains the value of a secret environment variable or the
    local development secret, or when a parameter called e.g. ``token`` or ``secret`` is given a
    value at all (use ``secret_env``). ``named`` maps more secret values to their variable's
    name: those of variables a ``*_env`` parameter names, whatever they are called
    (:func:`named_secrets`).
    """
    from netra_diag.tokens.profiles import LOCAL_DEV_SECRET

    by_value = {**dict(named or {}), **_secret_env_names(environ)}
    by_value.setdefault(LOCAL_DEV_SECRET, "the built-in local development secret")
    for key, value in parameters.items():
        if _SECRET_PARAM.search(str(key)) and value not in (None, ""):
            raise UsageError(
                f"parameter {key!r} would carry a secret; parameters name environment variables "
                "instead (-p secret_env NAME, with the signing secret in $NAME)"
            )
        for where, text in _strings(value, str(key)):
            match = JWT_PATTERN.search(text)
            if match:
                raise UsageError(
                    f"parameter {where!r} looks like a JWT ({fingerprint(match.group(0))}); "
                    "notebooks mint their own tokens from the signing secret in the variable "
                    "-p secret_env names (e.g. -p secret_env JWT_SECRET_KEY), so a token never "
                    "lands in the executed notebook"
                )
            for secret, source in by_value.items():
                if secret in text:
                    shown = f"${source}" if source.isupper() else source
                    raise UsageError(
                        f"parameter {where!r} carries the value of {shown}; pass the variable's "
                        "name instead (e.g. -p secret_env JWT_SECRET_KEY)"
                    )


def scrub_notebook(nb: Any, secrets: Iterable[str]) -> int:
    """Scrub a notebook (an ``nbformat.NotebookNode``) in place; return how many cells changed.

    Sources, every output (stream text, rich data, tracebacks) and the notebook and cell metadata
    (papermill writes parameters there) are passed through ``redaction.scrub``.
    """
    secret_list = tuple(secrets)
    changed = 0
    for cell in nb.cells:
        before = repr(cell)
        source = cell.get("source", "")
        if isinstance(source, str):
            cell["source"] = scrub_text(source, secret_list)
        if "metadata" in cell:
            cell["metadata"] = scrub_json(dict(cell["metadata"]), secret_list)
        for output in cell.get("outputs", ()):
            for key in ("text", "evalue", "ename"):
                if isinstance(output.get(key), str):
                    output[key] = scrub_text(output[key], secret_list)
            if isinstance(output.get("traceback"), list):
                output["traceback"] = [scrub_text(str(t), secret_list) for t in output["traceback"]]
            if isinstance(output.get("data"), Mapping):
                output["data"] = scrub_json(dict(output["data"]), secret_list)
            if isinstance(output.get("metadata"), Mapping):
                output["metadata"] = scrub_json(dict(output["metadata"]), secret_list)
        if repr(cell) != before:
            changed += 1
    nb["metadata"] = scrub_json(dict(nb.get("metadata", {})), secret_list)
    return changed


def find_leaks(text: str, secrets: Iterable[str]) -> list[str]:
    """Describe (by fingerprint only) every JWT-shaped string and known secret found in ``text``."""
    leaks = [
        f"JWT-shaped string {fingerprint(m.group(0))}"
        for m in JWT_PATTERN.finditer(text)
        if is_token(m.group(0))
    ]
    for secret in secrets:
        if secret and len(secret) >= 4 and secret in text:
            leaks.append(f"secret {fingerprint(secret)}")
    return leaks
