"""Template helpers: labels, country names, dates and money in the page's language."""

from __future__ import annotations

from datetime import UTC, date
from functools import lru_cache
from typing import NamedTuple

from babel.dates import format_skeleton
from babel.numbers import format_currency
from babel.numbers import format_decimal as babel_format_decimal
from flask import Flask, current_app, g, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import get_locale as babel_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from portal import i18n, lifecycle
from portal.services import accounts as accounts_service
from portal.services import applications as app_service
from portal.services import company_changes
from portal.services import owners as owners_service
from portal.services.zone_time import format_day, format_moment


@lru_cache(maxsize=4096)
def _whole_number(value: int, locale) -> str:
    return babel_format_decimal(value, locale=locale)


def number(value) -> str:
    """`{{ n|number }}` in the page's language. Whole numbers (counts, days: a table has many,
    most alike) are formatted once per language and kept."""
    if value is None:
        return ""
    if type(value) is int:
        return _whole_number(value, babel_locale())
    return format_decimal(value)


def money(amount, currency: str) -> str:
    if amount is None:
        return ""
    return format_currency(amount, currency or "USD", locale=babel_locale())


def day(value, zone=None) -> str:
    """`{{ x|date }}`, `{{ moment|date(application.zone) }}`: a day, the day a moment falls on
    in the zone (the Khorgos zones' when none is given)."""
    return format_day(value, zone)


def moment(value, zone=None) -> str:
    """`{{ x|datetime(application.zone) }}`: a moment on the zone's clock, the zone named. Where
    no zone concerns the moment (a person's account), the Khorgos zones' clock (Almaty)."""
    return format_moment(value, zone)


def utc_datetime(value) -> str:
    """A moment in UTC (the audit log's time: its heading says UTC, so the cells do not)."""
    return format_moment(value, UTC, name_zone=False)


def month_year(year: int, month: int) -> str:
    """A month of a year in the page's language ("March 1980", "1980年3月"): a public owner's
    birth, which is never shown to the day."""
    return format_skeleton("yMMMM", date(year, month, 1), locale=babel_locale() or "en")


# --- the layout's parts ------------------------------------------------------------------------
#
# The header, the footer and the session's warning are most of what the layout costs, and for a
# signed-in user they differ only by the language, the kind of user and a few values of the
# request. Each is rendered once per (language, kind, ...) and kept by the app; the values of
# the request go in at slots. A slot is letters only (it survives url_for and escaping) and a
# kept part holds nothing a user typed, so a slot can never be forged into one.

_SLOTS = {
    "csrf": "kgSLOTcsrf",
    "here": "kgSLOThere",
    "login_again": "kgSLOTback",
    "visitor_next": "kgSLOTnext",
}


def _minutes(seconds_left: int, warn: int) -> int:
    """The minutes the warning names: those left, at most the warning's own, at least one."""
    return max((min(warn, seconds_left) + 59) // 60, 1)


def layout_part(name: str) -> Markup:
    """`{{ layout_part("header") }}` (or "footer", "session_warning"): templates/_layout/."""
    template = f"_layout/{name}.html"
    locale = str(babel_locale())
    if name == "footer":
        return _kept((name, locale), template, {})
    if name == "header":
        user = current_user
        if not user.is_authenticated:  # a visitor's language links name the page: a slot
            return _kept((name, locale, "visitor"), template, {"viewer": _VISITOR})
        viewer = _Viewer(
            True, user.is_investor, user.is_staff, user.is_admin, user.changes_company_status
        )
        return _kept((name, locale, viewer), template, {"viewer": viewer})
    warn = current_app.config["SESSION_WARNING_SECONDS"]
    idle, lifetime = (_minutes(left, warn) for left in g.session_seconds_left)
    values = {"idle_minutes": idle, "lifetime_minutes": lifetime}
    return _kept((name, locale, warn, idle, lifetime), template, values)


class _Viewer(NamedTuple):
    """What the header shows a user: the flags of their kind (and a key of the kept header)."""

    signed_in: bool
    investor: bool = False
    staff: bool = False
    admin: bool = False
    changes_status: bool = False


_VISITOR = _Viewer(False)


def _kept(key: tuple, template: str, values: dict) -> Markup:
    kept = current_app.extensions.setdefault("layout_parts", {})
    html = kept.get(key)
    if html is None:
        html = kept[key] = render_template(template, **values, **_SLOTS)
    for name, slot in _SLOTS.items():
        if slot in html:
            html = html.replace(slot, escape(_SLOT_VALUES[name]()))
    return Markup(html)  # noqa: S704 - HTML templates rendered, the slots' values escaped


def _visitor_next() -> str:
    """The page, as a visitor's language links carry it back (`next=`, URL-encoded)."""
    here = request.full_path if request.query_string else request.path
    return url_for("main.visitor_language", code="en", next=here).split("next=", 1)[1]


# What goes in at each slot, per request (escaped as it goes in).
_SLOT_VALUES = {
    "csrf": generate_csrf,
    "here": lambda: request.full_path,
    "login_again": lambda: url_for("auth.login", next=g.session_return_to),
    "visitor_next": _visitor_next,
}


def register(app: Flask) -> None:
    env = app.jinja_env
    env.filters["datetime"] = moment
    # For <time datetime="...">: HTML allows at most three digits of a second's fraction.
    env.filters["utc_datetime"] = utc_datetime
    env.filters["iso_datetime"] = lambda v: v.isoformat(timespec="seconds") if v else ""
    env.filters["date"] = day
    env.filters["number"] = number
    env.filters["country"] = i18n.country_name
    env.filters["t"] = i18n.data_text
    env.filters["status_label"] = lambda s: lifecycle.STATE_LABELS.get(s, s)
    # Globals, so that macros imported without context see them too.
    env.globals.update(
        LANGUAGES=i18n.LANGUAGES,
        money=money,
        STEP_LABELS=app_service.STEP_LABELS,
        STEPS=app_service.STEPS,
        steps_of=app_service.steps_of,
        changed_labels=company_changes.changed_labels,
        KIND_LABELS=lifecycle.KIND_LABELS,
        DOCUMENT_TYPES=app_service.DOCUMENT_TYPES,
        LEGAL_FORMS=app_service.LEGAL_FORMS,
        FOUNDER_KINDS=app_service.FOUNDER_KINDS,
        OWNER_CONTROLS=owners_service.CONTROLS,
        OWNER_LABELS=owners_service.FIELD_LABELS,
        month_year=month_year,
        FIELD_LABELS=app_service.FIELD_LABELS,
        ROLE_LABELS=accounts_service.ROLE_LABELS,
        layout_part=layout_part,
    )

    @app.context_processor
    def locale_context():
        return {"current_locale": str(babel_locale())}
