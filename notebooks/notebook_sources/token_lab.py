"""The cells of ``token_lab.ipynb``: mint, inspect and verify a token, and the
ways the service's own test helpers get tokens wrong.
"""

from notebook_sources.cells import RUN_HINT, Cell, code, gate_cell, md, parameters

CELLS: list[Cell] = [
    md(
        """
# Token lab

Mint a token as the auth service would, inspect it without a key, verify it as the service
does, and see every way the service's own test helpers get tokens wrong (PROTOCOL.md §3, §9).
Tokens are shown as fingerprints (`eyJ…#a1b2c3d4`), never whole; the signing secret is read
from the environment variable named below and never shown.
"""
        + RUN_HINT.format(name="token_lab")
    ),
    parameters(
        """
sub = "u1"  # the token's subject (user id)
profile = "local"  # local, test, development, staging, production (with allow_production)
allow_production = False  # production tokens are accepted by the live service: say so here
ttl = ""  # lifetime such as "15m"; empty: the profile's default
extra_claims = '{"permissions": ["read", "write"]}'  # JSON object of extra claims
secret_env = "JWT_SECRET_KEY"  # NAME of the environment variable holding the signing secret
raise_on_failed_checks = False  # True: a failed required check fails a papermill run (exit 1)
summary_path = ""  # set by `netra-diag report`: where the JSON summary goes
"""
    ),
    code(
        """
import json
import os
import time

import pandas as pd

from netra_diag import investigation, report, tokens
from netra_diag.widgets import TokenPanel

summary = report.Summary(summary_path, notebook="token_lab")
# A token, or a secret's value where its name goes (-p secret_env "$JWT_SECRET_KEY"), is refused
# here, never shown (papermill itself keeps every -p value in the cell it injects; only
# `netra-diag report` refuses one before anything is written).
report.check_parameters(
    dict(sub=sub, profile=profile, ttl=ttl, extra_claims=extra_claims, secret_env=secret_env),
    os.environ,
)
# Run by papermill itself, `-p sub 42` is an int and `-p allow_production false` a text, which
# Python reads as true: each is read here as its default's type, or refused naming it.
sub = report.text_parameter("sub", sub, numbers=True)
profile = report.text_parameter("profile", profile, numbers=True)
ttl = report.text_parameter("ttl", ttl, numbers=True)
extra_claims = report.text_parameter("extra_claims", extra_claims, numbers=True)
secret_env = report.text_parameter("secret_env", secret_env, numbers=True)
allow_production = report.flag_parameter("allow_production", allow_production)
raise_on_failed_checks = report.flag_parameter("raise_on_failed_checks", raise_on_failed_checks)
panel = TokenPanel(
    sub=sub, profile=profile, ttl=ttl, secret_env=secret_env, allow_production=allow_production
)
panel.claims.value = extra_claims
token = panel.mint()  # kept in this variable only; the panel shows its fingerprint
panel.raise_for_error()  # a bad parameter stops the run here, in the panel's own words
if panel.secret_warning:
    print("warning:", summary.warn(panel.secret_warning))
panel
"""
    ),
    md("## Verify it as the service does"),
    code(
        """
verification = panel.verify()
# Which problems, not only how many ("REJECTED for local: 1 problem" said nothing of why).
problems = "; ".join(f"[{f.code}] {f.message}" for f in verification.failures)
summary.check(
    "minted token verifies",
    kind="auth",
    passed=verification.ok,
    detail=verification.explain().splitlines()[0] + (f": {problems}" if problems else ""),
)
if verification.ok:
    # Minted and verified here with the same key and profile: a round trip, little more.
    summary.set_headline(
        "the one required check passed, and it proves little: the token was minted and verified "
        "with the same key here, so whether the service accepts it is not checked; the drift "
        "table below shows how real helpers go wrong"
    )
print(verification.explain())
"""
    ),
    md(
        """
## The drift engineers triage

Each row is a token minted the way one of the service's helpers (or a clock, or a config) gets it
wrong, verified under the chosen profile; the explanation says expected vs actual.
"""
    ),
    code(
        """
# The same secret the panel signed with ($secret_env), never displayed: only where it is from.
secret = investigation.signing_secret(profile, secret_env, os.environ)
print("signing secret from", secret.source)
key = secret.value
now = time.time()
WRONG_SECRET = "not-the-secret-the-service-reads"  # what a drifted helper signs with
cases = {
    "as the auth service issues it": {},
    "helper with iss=netra-test, aud=netra-api": {
        "claims": {"iss": "netra-test", "aud": "netra-api"}
    },
    "helper sets type but not token_type": {"claims": {"token_type": None}},
    "a refresh token used as access": {"token_type": "refresh"},
    "expired an hour ago": {"now": now - 3 * 3600, "ttl": "2h"},
    "issued two minutes in the future": {"now": now + 120},
    "signed with the wrong secret ($JWT_SECRET)": {"key": WRONG_SECRET},
    "alg none": {"algorithm": "none"},
    "copied with its last 4 characters cut": {"cut": 4},
}
rows = []
for case, options in cases.items():
    cut = options.pop("cut", 0)
    minted = tokens.mint_token(
        sub,
        **{"key": key, "now": now, "profile": profile, **options},
        allow_production=allow_production,
    )
    minted = minted[:-cut] if cut else minted
    # (the helper's secret is tried too, as `token verify` tries the environment's: the
    # explanation then names which secret the token was signed with)
    verdict = tokens.verify_token(
        minted, key, now=now, profile=profile, other_secrets={"$JWT_SECRET": WRONG_SECRET}
    )
    rows.append(
        {
            "case": case,
            "token": verdict.fingerprint,
            "verdict": "valid" if verdict.ok else "rejected",
            "failures": ", ".join(str(f.code) for f in verdict.failures),
            "explanation": verdict.failures[0].message if verdict.failures else "",
        }
    )
drift = pd.DataFrame(rows)
summary.record("drift", drift)
report.format_table(drift)
"""
    ),
    md(
        """
## Carrying the token

How each transport puts the token into the handshake (PROTOCOL.md §2), fingerprinted. Then the
known-bad format a helper sends, `["jwt", token]`, as inspecting the paste explains it.
"""
    ),
    code(
        """
url = "ws://127.0.0.1:8000/ws"
# (with now, "expected" judges the token's claims too: an expired token is refused everywhere)
report.format_table(
    [tokens.build_handshake(url, token, transport).redacted(now) for transport in tokens.Transport],
    ["transport", "url", "headers", "subprotocols", "expected"],
)
"""
    ),
    code(
        """
print(tokens.inspect_token(json.dumps(["jwt", token]), now=now).notes[0])
"""
    ),
    gate_cell(),
]
