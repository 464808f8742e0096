"""``netra-diag token``: mint, inspect, verify and carry JWTs (PROTOCOL.md §2–3).

Only ``token mint`` prints a whole token, to stdout, so it can be piped
(``netra-diag token mint --sub u1 | netra-diag token inspect -``). Everything else prints
fingerprints. Secrets come from the environment (or a key file) and are never printed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

from netra_diag.cli.exit_codes import ExitCode
from netra_diag.cli.token_handshake import register_handshake
from netra_diag.cli.token_input import (
    TOKEN_HELP,
    default_algorithms,
    duration,
    parse_claims,
    read_token,
    resolve_key,
)
from netra_diag.errors import UsageError
from netra_diag.tokens import (
    PROFILES,
    SUPPORTED_ALGORITHMS,
    Profile,
)

__all__ = ["register"]

_EXIT_CODES = "exit codes: 0 ok, 1 {one}, 2 usage error ({usage})"
_KEYED = "bad option, missing secret or key file"  # mint and verify sign or check with a key
_UNKEYED = "bad option"
_PROFILE_HELP = f"token profile: {', '.join(PROFILES)} (default: local)"


def _guarded(action: str, body: Callable[[argparse.Namespace], int]) -> Callable[..., int]:
    """Turn a ``UsageError`` into exit code 2 with the message, as argparse does for bad options."""

    def run(args: argparse.Namespace) -> int:
        try:
            return body(args)
        except UsageError as exc:
            print(f"netra-diag token {action}: error: {exc}", file=sys.stderr)
            return int(ExitCode.USAGE)

    return run


def _mint(args: argparse.Namespace) -> int:
    from netra_diag.redaction import fingerprint
    from netra_diag.tokens import format_instant, format_relative, get_profile, mint_token

    prof = get_profile(args.profile)
    if prof.requires_explicit and not args.allow_production:
        raise UsageError(
            f"the {prof.name} profile mints tokens the live service accepts; "
            "confirm with --allow-production"
        )
    key, source = resolve_key(args, args.alg, prof.name)
    now = time.time()
    token = mint_token(
        args.sub,
        key=key,
        now=now,
        algorithm=args.alg,
        profile=prof,
        ttl=args.ttl,
        expires_in=args.expires_in,
        claims=parse_claims(args.claim),
        token_type=args.type,
        allow_production=args.allow_production,
        kid=args.kid,
    )
    from netra_diag.tokens import inspect_token

    seen = inspect_token(token, now=now)
    exp = seen.times.get("exp")
    when = f"exp {format_instant(exp)} ({format_relative(exp, now)})" if exp else "no exp"
    warnings = _mint_warnings(args, prof, token, key, now)
    if args.json:
        out = {"token": token, **seen.to_dict(), "profile": prof.name, "key_source": source}
        out["warnings"] = warnings
        print(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        print(token)
    print(
        f"minted {_minted_what(seen.claims or {})}: profile {prof.name}, {args.alg}, "
        f"key from {source}; {when}; {fingerprint(token)}",
        file=sys.stderr,
    )
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return int(ExitCode.OK)


def _mint_warnings(
    args: argparse.Namespace, prof: Profile, token: str, key: str, now: float
) -> list[str]:
    """What makes the profile's service refuse the token just minted. Minting a broken token on
    purpose (--ttl=-5m, --claim iss=netra-test) is a negative test; by accident (a --claim typo,
    --secret-env JWT_SECRET) it is the failure being triaged, so either way it is said."""
    from netra_diag.tokens import verify_token
    from netra_diag.tokens.rules import outlives_max_age

    warnings: list[str] = []
    algorithms = (args.alg,) if args.alg != "none" else ("HS256",)
    check = verify_token(token, key, now=now, profile=prof, algorithms=algorithms)
    if not check.ok:
        codes = ", ".join(dict.fromkeys(str(f.code) for f in check.failures))
        warnings.append(
            f"the {prof.name} service would reject this token ({codes}): "
            f"{check.failures[0].message}"
        )
    if check.ok and outlives_max_age(check.claims):
        warnings.append(outlives_max_age(check.claims))
    named = args.secret_env
    if named and named not in prof.secret_envs:
        from netra_diag.tokens import find_secret

        service = find_secret(prof, os.environ)
        where = ""
        if service is not None and service.source != prof.secret_env:
            where = f", here {service.source if service.is_default else '$' + service.source}"
        differs = (
            "no such secret is set here, so the two cannot be compared"
            if service is None
            else "the two differ: it refuses the token (bad_signature)"
            if service.value != key
            else "the two hold the same value here"
        )
        warnings.append(
            f"signed with ${named}, but the {prof.name} service reads ${prof.secret_env} "
            f"(PROTOCOL.md §3){where}: {differs}"
        )
    return warnings


def _minted_what(claims: Mapping[str, Any]) -> str:
    """``access token for sub='u1'``, from the minted token's own claims: ``--claim`` may have
    replaced ``sub`` or ``token_type`` (or removed them with ``null``)."""
    kind = claims.get("token_type", claims.get("type"))
    what = f"{kind} token" if isinstance(kind, str) and kind else "token without token_type"
    if "sub" not in claims:
        return f"{what} without a sub claim"
    return f"{what} for sub={claims['sub']!r}"


def _inspect(args: argparse.Namespace) -> int:
    from netra_diag.tokens import inspect_token

    seen = inspect_token(read_token(args.token), now=time.time())
    if args.json:
        print(json.dumps(seen.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(seen.describe())
    return int(ExitCode.FAILURE if seen.malformed else ExitCode.OK)


def _verify(args: argparse.Namespace) -> int:
    from netra_diag.tokens import get_profile, verify_token
    from netra_diag.tokens.paste import unwrap_paste
    from netra_diag.tokens.profiles import named_secrets

    prof = get_profile(args.profile)
    pasted = unwrap_paste(read_token(args.token))
    token = pasted.token
    if pasted.stripped:
        print(f"note: stripped {pasted.stripped} from the input", file=sys.stderr)
    algorithms = tuple(args.alg or default_algorithms(args.key_file))
    key, source = resolve_key(args, algorithms[0], prof.name)
    result = verify_token(
        token,
        key,
        now=time.time(),
        profile=prof,
        algorithms=algorithms,
        leeway=duration("--leeway", args.leeway),
        expected_type=args.type,
        max_age_s=duration("--max-age", args.max_age, positive=True),
        audiences=args.audience,
        expected_env=args.env,
        other_secrets=named_secrets(os.environ),
    )
    caveats = _verify_caveats(args, prof, algorithms) if result.ok else []
    if args.json:
        out = {**result.to_dict(), "key_source": source}
        out |= {"unwrapped": pasted.stripped, "input_warning": pasted.warning}
        out["caveats"] = caveats
        print(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        print(result.explain())
        print(f"(key from {source})")
        for caveat in caveats:
            print(f"note: {caveat}")
        if pasted.warning:
            # On stdout, under the verdict: a valid token in a list the service cannot read
            # from still fails to connect, and a note on stderr is easy to miss.
            print(f"warning: {pasted.warning}")
    return int(ExitCode.OK if result.ok else ExitCode.FAILURE)


def _verify_caveats(
    args: argparse.Namespace, prof: Profile, algorithms: tuple[str, ...]
) -> list[str]:
    """Why 'valid' here may not mean the profile's service accepts the token: the options
    replaced one of its rules, so the pass proves less than it reads."""
    caveats: list[str] = []
    hmac = algorithms[0].startswith("HS")
    other_env = args.secret_env and args.secret_env not in prof.secret_envs
    if hmac and (other_env or args.key_file):
        used = f"${args.secret_env}" if other_env else f"key file {args.key_file}"
        caveats.append(
            f"the signature was checked with {used}, not ${prof.secret_env}, which the "
            f"{prof.name} service reads: valid here means signed with that key only"
        )
    if args.type != "access":
        caveats.append(
            f"checked as a {args.type!r} token (--type): the WebSocket accepts access tokens only"
        )
    if args.audience:
        caveats.append(
            f"audiences were yours (--audience), not the {prof.name} service's: "
            f"{', '.join(sorted(prof.allowed_audiences))}"
        )
    if duration("--max-age", args.max_age, positive=True) > 86400:
        caveats.append("--max-age is over the service's 24 h: it refuses older tokens")
    return caveats


def _add_key_options(parser: argparse.ArgumentParser, verb: str) -> None:
    keys = parser.add_mutually_exclusive_group()
    keys.add_argument(
        "--secret-env",
        metavar="NAME",
        help=f"environment variable holding the HMAC secret to {verb} with (default: the "
        "profile's JWT_SECRET_KEY, then its deprecated names; local falls back to the built-in "
        "development secret)",
    )
    keys.add_argument(
        "--key-file",
        metavar="PEM",
        help=f"file with the key to {verb} with: PEM private key (mint) or public key (verify) "
        "for RS*/ES*; for HS* the file holds the secret (one trailing newline is not part of "
        "it)"
        + (
            "; verify picks HS256 for a non-PEM file, RS256/ES256 for a PEM key"
            if verb == "verify"
            else ""
        ),
    )


def _token_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("token", metavar="TOKEN|-|@FILE", help=TOKEN_HELP)


def _register_mint(actions: Any) -> None:
    p = actions.add_parser(
        "mint",
        help="mint a token shaped like the auth service's; prints it whole to stdout",
        description="Mint a token shaped like the auth service's (PROTOCOL.md §3). The token goes "
        "to stdout (pipe it); a note with its profile, expiry and fingerprint goes to stderr.",
        epilog=_EXIT_CODES.format(one="not used", usage=_KEYED)
        + "\nexample: netra-diag token mint --sub u1 --ttl 15m | netra-diag token inspect -",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--sub", required=True, help="the user id (claim sub)")
    p.add_argument("--profile", default="local", help=_PROFILE_HELP)
    life = p.add_mutually_exclusive_group()
    life.add_argument(
        "--ttl",
        help="lifetime like 15m, 90s, 2h, 1d (default: the profile's); --ttl=-5m mints an "
        "expired token",
    )
    life.add_argument("--expires-in", type=float, metavar="SECONDS", help="lifetime in seconds")
    p.add_argument(
        "--claim",
        action="append",
        metavar="NAME=VALUE",
        help="extra or overriding claim; VALUE is JSON when it parses (null removes a default "
        "claim), else a string. Repeatable",
    )
    p.add_argument("--type", default="access", help="token_type and type (default: access)")
    p.add_argument(
        "--alg", default="HS256", choices=SUPPORTED_ALGORITHMS, help="algorithm (default: HS256)"
    )
    _add_key_options(p, "sign")
    p.add_argument("--kid", help="key id for the header")
    p.add_argument(
        "--allow-production",
        action="store_true",
        help="confirm minting with the production profile",
    )
    p.add_argument("--json", action="store_true", help="print the token and its decoded parts")
    p.set_defaults(func=_guarded("mint", _mint))


def _register_verify(actions: Any, name: str) -> None:
    p = actions.add_parser(
        name,
        help=(
            "verify a token as the service does and explain every failure"
            if name == "verify"
            else "the same as verify: why the service accepts or rejects a token"
        ),
        description="Verify signature and claims as the service does (PROTOCOL.md §3) and "
        "explain every failure with expected vs actual values and time differences. When the "
        "signature does not verify, the other signing secrets set in the environment "
        "(JWT_SECRET_KEY, JWT_SECRET, the deprecated JWT_SECRET_<ENV> names) are tried, and "
        "the one the token was signed with is named (never shown).",
        epilog=_EXIT_CODES.format(one="token rejected or malformed", usage=_KEYED)
        + f'\nexample: netra-diag token {name} --profile staging --leeway 30 "$TOKEN"',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _token_arg(p)
    p.add_argument("--profile", default="local", help=_PROFILE_HELP)
    _add_key_options(p, "verify")
    p.add_argument("--leeway", default="0", help="clock-skew allowance, e.g. 30 or 30s")
    p.add_argument(
        "--alg",
        action="append",
        choices=[a for a in SUPPORTED_ALGORITHMS if a != "none"],
        help="accepted algorithm (repeatable; default HS256, or RS256+ES256 with a PEM --key-file)",
    )
    p.add_argument("--type", default="access", help="expected token_type (default: access)")
    p.add_argument("--max-age", default="24h", help="oldest accepted iat age (default: 24h)")
    p.add_argument(
        "--audience",
        action="append",
        metavar="AUD",
        help="accepted audience (repeatable; default: the profile's allowed set)",
    )
    p.add_argument("--env", help="expected env claim (default: the profile's environment)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_guarded(name, _verify))


def register(sub: Any) -> None:
    """Add ``token`` and its actions to the top-level subparsers."""
    parser = sub.add_parser(
        "token",
        help="mint, inspect, verify tokens and explain why one is rejected; build handshakes",
        description="Mint, inspect and verify the service's JWTs, explain why one is rejected "
        "(verify and explain are one action), and build the handshake for each way a client "
        "carries one (PROTOCOL.md §2–3). A token may be given as pasted (quotes, 'Bearer ...', "
        "a subprotocol entry or list, a URL, a JSON login response), on stdin (-) or in a file "
        "(@FILE); only 'mint' prints a whole token.",
        epilog="examples:\n  netra-diag token mint --sub u1 | netra-diag token inspect -\n"
        '  netra-diag token explain --profile staging "$TOKEN"\n'
        "  netra-diag token handshake @token.txt --all\n"
        "exit codes: in each action's --help (2 when no action is given)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="token_action", metavar="ACTION")

    def no_action(args: argparse.Namespace) -> int:
        parser.print_help()
        return int(ExitCode.USAGE)

    parser.set_defaults(func=no_action)
    _register_mint(actions)

    p = actions.add_parser(
        "inspect",
        help="decode a token without a key and say what is broken",
        description="Show a token's header, claims and times without a key. Tolerates what is "
        "pasted around a token (quotes, 'Bearer ...', a subprotocol entry or list, a URL with "
        "?token=, a shell or log line holding one JWT) and warns of a known-bad subprotocol "
        "list; says which part is broken and why.",
        epilog=_EXIT_CODES.format(one="malformed token", usage=_UNKEYED)
        + "\nexample: netra-diag token mint --sub u1 | netra-diag token inspect -",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _token_arg(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_guarded("inspect", _inspect))

    for name in ("verify", "explain"):
        _register_verify(actions, name)

    register_handshake(
        actions,
        _guarded,
        _EXIT_CODES.format(one="not used", usage=_UNKEYED)
        + "\nexample: netra-diag token mint --sub u1 | netra-diag token handshake - --all",
    )
