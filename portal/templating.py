"""Template helpers: labels, country names, dates and money in the page's language."""

from __future__ import annotations

from datetime import UTC

from babel.dates import format_datetime as babel_format_datetime
from babel.numbers import format_currency
from flask import Flask
from flask_babel import format_date, format_datetime, format_decimal
from flask_babel import get_locale as babel_locale

from portal import i18n, lifecycle
from portal.services import accounts as accounts_service
from portal.services import applications as app_service


def money(amount, currency: str) -> str:
    if amount is None:
        return ""
    return format_currency(amount, currency or "USD", locale=babel_locale())


def utc_datetime(value, fmt: str = "medium") -> str:
    """A moment in UTC (the audit log's time), in the page's language."""
    if not value:
        return ""
    return babel_format_datetime(value, fmt, tzinfo=UTC, locale=babel_locale())


def register(app: Flask) -> None:
    env = app.jinja_env
    env.filters["datetime"] = lambda v, f="medium": format_datetime(v, f) if v else ""
    # For <time datetime="...">: HTML allows at most three digits of a second's fraction.
    env.filters["utc_datetime"] = utc_datetime
    env.filters["iso_datetime"] = lambda v: v.isoformat(timespec="seconds") if v else ""
    env.filters["date"] = lambda v, f="medium": format_date(v, f) if v else ""
    env.filters["number"] = lambda v: format_decimal(v) if v is not None else ""
    env.filters["country"] = i18n.country_name
    env.filters["t"] = i18n.data_text
    env.filters["status_label"] = lambda s: lifecycle.STATE_LABELS.get(s, s)
    # Globals, so that macros imported without context see them too.
    env.globals.update(
        LANGUAGES=i18n.LANGUAGES,
        money=money,
        STEP_LABELS=app_service.STEP_LABELS,
        STEPS=app_service.STEPS,
        DOCUMENT_TYPES=app_service.DOCUMENT_TYPES,
        LEGAL_FORMS=app_service.LEGAL_FORMS,
        FOUNDER_KINDS=app_service.FOUNDER_KINDS,
        FIELD_LABELS=app_service.FIELD_LABELS,
        ROLE_LABELS=accounts_service.ROLE_LABELS,
    )

    @app.context_processor
    def locale_context():
        return {"current_locale": str(babel_locale())}
