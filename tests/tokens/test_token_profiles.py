from __future__ import annotations

import pytest

from netra_diag.errors import UsageError
from netra_diag.tokens import (
    LOCAL_DEV_SECRET,
    PROFILES,
    find_secret,
    get_profile,
    resolve_secret,
)

MIN, DAY = 60, 86400


@pytest.mark.parametrize(
    ("name", "access", "refresh"),
    [
        ("production", 15 * MIN, 7 * DAY),
        ("staging", 30 * MIN, 14 * DAY),
        ("development", 120 * MIN, 30 * DAY),
        ("test", 5 * MIN, 1 * DAY),
        ("local", 120 * MIN, 30 * DAY),
    ],
)
def test_lifetimes_follow_protocol(name: str, access: int, refresh: int) -> None:
    prof = get_profile(name)
    assert (prof.access_ttl_s, prof.refresh_ttl_s) == (access, refresh)
    assert prof.issuer == "netra-auth-service"
    assert prof.audience == "netra-platform"
    assert prof.secret_env == "JWT_SECRET_KEY"
    assert prof.audience_for("service") == "netra-services"


def test_only_production_requires_explicit_flag() -> None:
    assert [p.name for p in PROFILES.values() if p.requires_explicit] == ["production"]


def test_dev_audiences() -> None:
    assert {"test", "localhost", "development"} <= get_profile("development").allowed_audiences
    assert "localhost" not in get_profile("staging").allowed_audiences
    assert "netra-platform" in get_profile("production").allowed_audiences


def test_aliases_and_unknown() -> None:
    assert get_profile("prod").name == "production"
    assert get_profile("DEV").name == "development"
    with pytest.raises(UsageError) as info:
        get_profile("qa")
    assert "qa" in str(info.value)
    for name in PROFILES:
        assert name in str(info.value)


def test_resolve_secret_order() -> None:
    env = {"JWT_SECRET_STAGING": "old-name", "JWT_SECRET": "helper-only"}
    assert resolve_secret("staging", env) == "old-name"
    env["JWT_SECRET_KEY"] = "primary"
    assert resolve_secret("staging", env) == "primary"
    # JWT_SECRET is never read: the service does not read it either.
    assert resolve_secret("production", {"JWT_SECRET": "x"}) is None
    assert resolve_secret("local", {}) is None


def test_find_secret_reports_source_and_local_default() -> None:
    found = find_secret("local", {})
    assert found is not None and found.is_default and found.value == LOCAL_DEV_SECRET
    assert len(LOCAL_DEV_SECRET) >= 32
    found = find_secret("staging", {"JWT_SECRET_STAGING": "s" * 40})
    assert found is not None and found.deprecated and found.source == "JWT_SECRET_STAGING"
    assert "s" * 40 not in repr(found)
    assert find_secret("staging", {}) is None
