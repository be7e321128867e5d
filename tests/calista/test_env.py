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
