import re
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from calista.env import VARIABLES, Env

ROOT = Path(__file__).resolve().parents[2]


def test_it_reads_typed_values():
    env = Env({"DEBUG": "yes", "PORT": "8080", "HOSTS": "a, b,,c", "MODE": "s3"})
    assert env.bool("DEBUG") is True
    assert env.int("PORT", 1) == 8080
    assert env.list("HOSTS", []) == ["a", "b", "c"]
    assert env.choice("MODE", "local", ("local", "s3")) == "s3"


def test_it_uses_the_default_when_a_variable_is_absent():
    env = Env({})
    assert env.bool("DEBUG", False) is False
    assert env.int("PORT", 8000) == 8000
    assert env.url("DATABASE_URL", "sqlite:///x", ("sqlite",)) == "sqlite:///x"


@pytest.mark.parametrize(
    "call",
    [
        lambda env: env.bool("X"),
        lambda env: env.int("X", 1),
        lambda env: env.int("X", 1, minimum=5),
        lambda env: env.float("X", 1.0),
        lambda env: env.choice("X", "a", ("a", "b")),
        lambda env: env.url("X", "redis://", ("redis",)),
    ],
)
def test_it_refuses_a_bad_value_and_names_the_variable(call):
    with pytest.raises(ImproperlyConfigured, match="X="):
        call(Env({"X": "ture"}))


def test_debug_is_off_unless_asked_for():
    from django.conf import settings

    assert "DEBUG" in VARIABLES and VARIABLES["DEBUG"].default is False
    assert settings.DEBUG is False


def test_env_example_lists_every_variable_the_settings_read():
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    missing = set(VARIABLES) - listed
    assert not missing, f".env.example lacks {sorted(missing)}"


def test_production_settings_are_secure_when_https_is_on(monkeypatch):
    import importlib
    import sys

    monkeypatch.setenv("HTTPS", "1")
    monkeypatch.setenv("DEBUG", "0")
    monkeypatch.setenv("SECRET_KEY", "x" * 60)
    sys.modules.pop("calista.settings", None)
    try:
        prod = importlib.import_module("calista.settings")
        assert prod.SESSION_COOKIE_SECURE and prod.CSRF_COOKIE_SECURE
        assert prod.SECURE_SSL_REDIRECT
        assert prod.SECURE_HSTS_SECONDS >= 31536000
        assert prod.SECURE_CONTENT_TYPE_NOSNIFF
        assert prod.X_FRAME_OPTIONS == "DENY"
    finally:
        sys.modules.pop("calista.settings", None)


def test_a_time_zone_is_an_iana_name():
    assert Env({"TZ_A": "America/New_York"}).time_zone("TZ_A", "UTC") == "America/New_York"
    assert Env({}).time_zone("TZ_A", "UTC") == "UTC"
    for bad in ("Pacific Standard Time", "PST8", "localtime", "../../etc/passwd", "America/Springfield"):
        with pytest.raises(ImproperlyConfigured, match="TZ_A="):
            Env({"TZ_A": bad}).time_zone("TZ_A", "UTC")


def test_time_zones_are_read_as_code_zone_pairs():
    env = Env({"ZONES": " lax=America/Los_Angeles, ORD = America/Chicago ,"})
    assert env.time_zones("ZONES", {"JFK": "America/New_York"}) == {"LAX": "America/Los_Angeles", "ORD": "America/Chicago"}
    assert Env({}).time_zones("ZONES", {"JFK": "America/New_York"}) == {"JFK": "America/New_York"}
    for bad in ("LAX", "LAX=", "=America/Chicago", "LAX=Pacific", "LAX=America/Los_Angeles;JFK=America/New_York"):
        with pytest.raises(ImproperlyConfigured, match="ZONES="):
            Env({"ZONES": bad}).time_zones("ZONES", {})


def _settings_with(monkeypatch, **variables):
    import importlib
    import sys

    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    sys.modules.pop("calista.settings", None)
    try:
        return importlib.import_module("calista.settings")
    finally:
        sys.modules.pop("calista.settings", None)


def test_every_served_airport_has_its_time_zone_by_default():
    from django.conf import settings

    assert settings.AIRPORT_TIME_ZONES == {"LAX": "America/Los_Angeles", "SFO": "America/Los_Angeles",
                                           "JFK": "America/New_York", "ATL": "America/New_York"}
    assert set(settings.SERVED_AIRPORTS) <= set(settings.AIRPORT_TIME_ZONES)


def test_the_portal_does_not_start_while_a_served_airport_has_no_time_zone(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="SERVED_AIRPORTS names ORD.*AIRPORT_TIME_ZONES"):
        _settings_with(monkeypatch, SERVED_AIRPORTS="LAX,JFK,ORD")


def test_a_new_airport_starts_once_its_time_zone_is_given(monkeypatch):
    started = _settings_with(monkeypatch, SERVED_AIRPORTS="LAX,ORD",
                             AIRPORT_TIME_ZONES="LAX=America/Los_Angeles,ORD=America/Chicago")
    assert started.AIRPORT_TIME_ZONES["ORD"] == "America/Chicago"


def test_the_portal_does_not_start_with_an_airport_on_a_zone_that_does_not_exist(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="AIRPORT_TIME_ZONES="):
        _settings_with(monkeypatch, AIRPORT_TIME_ZONES="LAX=America/Los_Angles,SFO=America/Los_Angeles,"
                                                       "JFK=America/New_York,ATL=America/New_York")
