"""ACE's codes in plain words, from the AceCode table (English and Chinese)."""

from __future__ import annotations

from django.utils.translation import get_language

from customs.models import AceCode


def code_table() -> dict[str, AceCode]:
    return {c.code: c for c in AceCode.objects.all()}


def explain(codes: list[str], language: str | None = None) -> list[dict]:
    """Each code with its meaning and the next step, in the language asked for (default: the active one)."""
    language = language or get_language() or "en"
    table = code_table()
    out = []
    for code in codes:
        known = table.get(code)
        out.append({
            "code": code,
            "meaning": known.meaning(language) if known else code,
            "next_step": known.next_step(language) if known else "",
            "agency": known.agency if known else "",
            "effect": known.effect if known else "",
        })
    return out


def codes_text(codes: list[str], language: str = "en") -> str:
    """One line for a timeline event: 'code: meaning; code: meaning'."""
    return "; ".join(f"{item['code']}: {item['meaning']}" for item in explain(codes, language))
