"""What an e2e suite sends when its token never got into the request: ``Bearer undefined``
(a JavaScript helper whose token was unset), ``$TOKEN`` (a shell variable in single quotes, or
never exported), ``{{token}}`` (a template not filled in), or a subprotocol name copied instead
of the entry that carries the token. Said as such, rather than as base64 that does not decode.
"""

from __future__ import annotations

import re

from netra_diag.tokens.extraction import PLAIN_SUBPROTOCOLS

__all__ = ["placeholder_problem"]

# What languages print for a value that is not there.
_NOTHING = frozenset({"undefined", "null", "none", "nil", "nan", "[object object]"})
_VARIABLE = re.compile(
    r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?"  # $TOKEN, ${TOKEN}
    r"|%[A-Za-z_][A-Za-z0-9_]*%"  # %TOKEN% (Windows)
    r"|\$?\{\{\s*[\w.-]{1,60}\s*\}\}"  # {{token}}, ${{ secrets.TOKEN }} (templates, CI)
    r"|<[A-Za-z_][\w -]{0,30}>"  # <token>, <your token> (copied from documentation)
)


def placeholder_problem(text: str) -> str:
    """Why ``text`` (the whole input, stripped of what was pasted around it) is a stand-in for a
    token rather than a damaged one; ``""`` when it is not one."""
    lowered = text.lower()
    if lowered in _NOTHING:
        return (
            f"{text!r} is no token: the value that should hold the token was {text} when the "
            "request was built (a helper that returned nothing, an unset variable: "
            "`Bearer ${token}` with token unset sends 'Bearer undefined')"
        )
    if _VARIABLE.fullmatch(text):
        return (
            f"{text!r} is a placeholder, not a token: the variable or template was never "
            "replaced by its value (a shell variable inside single quotes, or not set or not "
            "exported; a template not filled in)"
        )
    if lowered == "bearer":
        return (
            "'Bearer' with nothing after it: the Authorization header was built with an empty "
            "token (the variable holding it was empty)"
        )
    if lowered in PLAIN_SUBPROTOCOLS:
        return (
            f"{text!r} is a subprotocol name, not a token: the token travels in another entry, "
            "jwt.<base64url(jwt)> after 'jwt-auth' (netra-diag token handshake shows it)"
        )
    return ""
