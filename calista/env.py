"""Typed settings from environment variables.

Every setting the portal reads from the environment goes through `Env`, which
refuses a bad value with a message that names the variable, instead of
letting a typo ("DEBUG=ture", "PORT=80a") turn into surprising behaviour.
`VARIABLES` records every variable read, so `.env.example` can be checked
against the code.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured

from calista.clocks import zone_named

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class Variable:
    name: str
    kind: str
    default: object
    help: str


VARIABLES: dict[str, Variable] = {}


class Env:
    def __init__(self, environ: dict[str, str] | None = None):
        self.environ = os.environ if environ is None else environ

    def _raw(self, name: str, kind: str, default, help: str) -> str | None:
        if self.environ is os.environ:  # only the settings' own reads are the portal's variables
            VARIABLES.setdefault(name, Variable(name, kind, default, help))
        value = self.environ.get(name)
        if value is None:
            return None
        return value.strip()

    @staticmethod
    def _refuse(name: str, value: str, expected: str):
        raise ImproperlyConfigured(f"{name}={value!r} is not valid: expected {expected}.")

    def str(self, name: str, default: str = "", help: str = "") -> str:
        value = self._raw(name, "string", default, help)
        return default if value is None else value

    def bool(self, name: str, default: bool = False, help: str = "") -> bool:
        value = self._raw(name, "boolean", default, help)
        if value is None:
            return default
        if value.lower() in TRUE:
            return True
        if value.lower() in FALSE:
            return False
        self._refuse(name, value, "one of 1/0, true/false, yes/no, on/off")

    def int(self, name: str, default: int, help: str = "", minimum: int | None = None,
            maximum: int | None = None) -> int:
        value = self._raw(name, "integer", default, help)
        if value is None or value == "":
            return default
        try:
            number = int(value)
        except ValueError:
            self._refuse(name, value, "a whole number")
        if minimum is not None and number < minimum:
            self._refuse(name, value, f"a number of at least {minimum}")
        if maximum is not None and number > maximum:
            self._refuse(name, value, f"a number of at most {maximum}")
        return number

    def float(self, name: str, default: float, help: str = "", minimum: float | None = None) -> float:
        value = self._raw(name, "number", default, help)
        if value is None or value == "":
            return default
        try:
            number = float(value)
        except ValueError:
            self._refuse(name, value, "a number")
        if minimum is not None and number < minimum:
            self._refuse(name, value, f"a number of at least {minimum}")
        return number

    def list(self, name: str, default: list[str], help: str = "") -> list[str]:
        value = self._raw(name, "comma-separated list", ",".join(default), help)
        if value is None:
            return list(default)
        return [item.strip() for item in value.split(",") if item.strip()]

    def choice(self, name: str, default: str, choices: tuple[str, ...], help: str = "") -> str:
        value = self._raw(name, "one of " + "/".join(choices), default, help)
        if value is None or value == "":
            return default
        if value not in choices:
            self._refuse(name, value, "one of " + ", ".join(choices))
        return value

    def time_zone(self, name: str, default: str, help: str = "") -> str:
        value = self._raw(name, "time zone", default, help)
        if value is None or value == "":
            return default
        if zone_named(value) is None:
            self._refuse(name, value, "an IANA time zone name such as UTC or America/New_York")
        return value

    def time_zones(self, name: str, default: dict[str, str], help: str = "") -> dict[str, str]:
        """`CODE=Zone,CODE=Zone`: a time zone per code (upper-cased), e.g. LAX=America/Los_Angeles,JFK=America/New_York."""
        value = self._raw(name, "comma-separated CODE=time zone", ",".join(f"{k}={v}" for k, v in default.items()), help)
        if value is None:
            return dict(default)
        zones = {}
        for item in filter(None, (part.strip() for part in value.split(","))):
            code, _, zone = (text.strip() for text in item.partition("="))
            if not code or zone_named(zone) is None:
                self._refuse(name, value, f"CODE=time zone pairs such as LAX=America/Los_Angeles (not {item!r})")
            zones[code.upper()] = zone
        return zones

    def url(self, name: str, default: str, schemes: tuple[str, ...], help: str = "") -> str:
        value = self._raw(name, "URL", default, help)
        if value is None or value == "":
            return default
        scheme = urlparse(value).scheme
        if scheme not in schemes:
            self._refuse(name, value, "a URL starting with " + ", ".join(s + "://" for s in schemes))
        return value
