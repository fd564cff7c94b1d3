"""Names of countries, currencies and languages from Babel's CLDR data, in the page's language."""

from __future__ import annotations

from babel import Locale
from flask_babel import get_locale, gettext

LANGUAGES = {"en": "English", "ru": "Русский", "kk": "Қазақша", "zh": "中文"}

# CLDR territory codes that are not countries.
_NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB"}


def N_(text: str) -> str:  # noqa: N802 - the conventional name of the no-op marker
    """Mark reference data (seeded zone and sector names...) for the translation catalog."""
    return text


def data_text(text: str | None) -> str:
    """Reference data in the page's language: the catalog's translation of a seeded name, or
    the text as an admin wrote it."""
    return gettext(text) if text else ""


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
