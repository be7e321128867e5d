"""Sentences stored now and read later, by someone whose language is not known yet (a notification, its e-mail).

A `Text` keeps the untranslated message id (marked with `gettext_noop`, so that `makemessages` finds it) and its
parameters; it is translated when it is shown, in the language active then. A parameter that is itself a `Text`
(the "what happened" of a notification, a reason the portal wrote) is translated too; any other parameter (a HAWB,
a count, what a person typed, an agency's acronym) is shown as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import translation
from django.utils.translation import gettext


@dataclass(frozen=True)
class Text:
    msgid: str
    params: dict = field(default_factory=dict)

    @classmethod
    def of(cls, value: Text | str) -> Text:
        """A Text as it is; a plain string is taken as a message id without parameters (English text a caller wrote
        through gettext under `in_english` is its own message id, and is translated when read)."""
        return value if isinstance(value, Text) else cls(str(value))

    def __str__(self) -> str:
        """In the active language."""
        text = gettext(self.msgid)
        if not self.params:
            return text
        values = {name: str(value) if isinstance(value, Text) else value for name, value in self.params.items()}
        try:
            return text % values
        except (KeyError, ValueError, TypeError):  # a translation that lost or garbled a placeholder: say it in English
            return self.msgid % values

    def english(self) -> str:
        with translation.override("en"):
            return str(self)

    def to_json(self) -> dict:
        return {"msgid": self.msgid,
                "params": {name: value.to_json() if isinstance(value, Text) else value for name, value in self.params.items()}}

    @classmethod
    def from_json(cls, data: dict) -> Text:
        params = {name: cls.from_json(value) if isinstance(value, dict) and "msgid" in value else value
                  for name, value in (data.get("params") or {}).items()}
        return cls(data["msgid"], params)

    @classmethod
    def shown(cls, data: dict | None, *, english: str) -> str:
        """A stored Text (`to_json`) in the active language; the English stored beside it for a row written before its
        Text was kept, or a Text this version cannot read."""
        if not data:
            return english
        try:
            return str(cls.from_json(data))
        except (KeyError, TypeError, ValueError):
            return english
