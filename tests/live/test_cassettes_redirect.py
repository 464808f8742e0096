"""A refused upgrade's headers are recorded (``handshake_rejected``): a redirect's ``Location``
carrying an opaque token in its query is written with the token's fingerprint, as a URL is."""

from __future__ import annotations

from netra_diag.recording_format import redact_headers

OPAQUE = "opaque-token-7c1d2e3f4a5b"  # not JWT-shaped: only its parameter says what it is


def test_a_redirect_location_with_a_token_is_redacted() -> None:
    headers = [
        ("Location", f"https://auth.example/ws?access_token={OPAQUE}&next=%2Fws"),
        ("Content-Location", f"/ws?ticket={OPAQUE}"),
        ("Content-Type", "text/plain"),
        ("X-Note", "see ?monkey=1"),  # "key=" inside another word is no credential
    ]
    out = dict(redact_headers(headers))
    assert OPAQUE not in "".join(out.values())
    assert out["Location"].startswith("https://auth.example/ws?access_token=…#")
    assert out["Location"].endswith("&next=%2Fws")
    assert out["Content-Location"].startswith("/ws?ticket=…#")
    assert out["Content-Type"] == "text/plain" and out["X-Note"] == "see ?monkey=1"
