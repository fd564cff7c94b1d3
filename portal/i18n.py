"""Names of countries, currencies and languages from Babel's CLDR data, in the page's language."""

from __future__ import annotations

from babel import Locale
from flask import g, has_app_context
from flask_babel import get_locale, gettext

LANGUAGES = {"en": "English", "ru": "Русский", "kk": "Қазақша", "zh": "中文"}

# CLDR territory codes that are not countries.
_NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB"}


def N_(text: str) -> str:  # noqa: N802 - the conventional name of the no-op marker
    """Mark reference data (seeded zone and sector names...) for the translation catalog."""
    return text


def data_text(text: str | None) -> str:
    """Reference data in the page's language: what an admin typed for this language, else the
    catalog's translation (of a seeded name), else the text as an admin wrote it."""
    if not text:
        return ""
    lang = str(get_locale() or "en")
    # A table names the same few sectors on every row: each is looked up once per request.
    seen = g.setdefault("data_texts", {}) if has_app_context() else {}
    key = (lang, text)
    if key not in seen:
        typed = _typed_translations().get(text, {}).get(lang) if lang != "en" else None
        seen[key] = typed or gettext(text)
    return seen[key]


def sector_choices(sectors) -> list[tuple[int, str]]:
    """(id, name) of `sectors` in the page's language, in the order the reader reads them."""
    return sorted(((s.id, data_text(s.name)) for s in sectors), key=lambda choice: choice[1])


def _typed_translations() -> dict[str, dict[str, str]]:
    """English text -> {language: text}, from the names admins typed."""
    if not has_app_context():
        return {}
    cached = g.get("typed_translations")
    if cached is None:
        from portal.page_cache import shared

        # Kept by the process while no zone, sector, reason or contact changes (page_cache).
        cached = g.typed_translations = shared("typed_translations", _read_typed_translations)
    return cached


def _read_typed_translations() -> dict[str, dict[str, str]]:
    from portal.extensions import db
    from portal.models import RejectionReason, Sector, Zone, ZoneContact

    found: dict[str, dict[str, str]] = {}
    for model in (Zone, Sector, RejectionReason, ZoneContact):
        rows = db.session.scalars(db.select(model).where(model.translations.is_not(None)))
        for obj in rows:
            for lang, texts in obj.translations.items():
                for field, value in texts.items():
                    found.setdefault(getattr(obj, field), {})[lang] = value
    return found


def _locale() -> Locale:
    return get_locale() or Locale.parse("en")


def country_codes() -> set[str]:
    english = Locale.parse("en").territories
    return {c for c in english if len(c) == 2 and c.isalpha() and c not in _NOT_COUNTRIES}


def country_choices() -> list[tuple[str, str]]:
    names = _locale().territories
    codes = country_codes()
    return sorted(((c, names.get(c, c)) for c in codes), key=lambda pair: pair[1])


def country_name(code: str | None) -> str:
    if not code:
        return ""
    return _locale().territories.get(code, code)


def currency_choices(codes: tuple[str, ...]) -> list[tuple[str, str]]:
    names = _locale().currencies
    return [(c, f"{c} — {names.get(c, c)}") for c in codes]
