"""Calendar days in a zone's time zone: registrations and submissions are counted by them.

Also the portal's one way to show a day and a moment to a person (pages, e-mails, flash
messages): Babel's medium date in the reader's language, a moment without seconds on the clock
of the zone it concerns, with that zone named.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time, get_timezone_location
from flask_babel import get_locale
from flask_babel import gettext as _

# The Khorgos zones; used when no zone says otherwise.
DEFAULT_TIMEZONE = "Asia/Almaty"


def zone_info(zone=None) -> ZoneInfo:
    return ZoneInfo(getattr(zone, "timezone", None) or DEFAULT_TIMEZONE)


def local_date(moment: datetime, zone=None) -> date:
    """The calendar day `moment` falls on in the zone."""
    return moment.astimezone(zone_info(zone)).date()


def today(zone=None) -> date:
    return local_date(datetime.now(UTC), zone)


def day_start(day: date, zone=None) -> datetime:
    """The UTC instant the zone's day begins (for comparing with timestamps)."""
    return datetime.combine(day, time.min, tzinfo=zone_info(zone)).astimezone(UTC)


def day_end(day: date, zone=None) -> datetime:
    """The UTC instant the zone's day ends (exclusive)."""
    return day_start(day + timedelta(days=1), zone)


def _timezone(zone) -> tzinfo:
    """A zone (its `timezone`), a time zone's name, a tzinfo, or None (the Khorgos zones)."""
    if isinstance(zone, tzinfo):
        return zone
    if isinstance(zone, str):
        return ZoneInfo(zone)
    return zone_info(zone)


def _locale() -> Locale:
    return get_locale() or Locale.parse("en")


def format_day(value: date | datetime | None, zone=None) -> str:
    """A calendar day: "Nov 26, 2026", "2026年11月26日". A moment is shown as its day in the
    zone's time zone."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(_timezone(zone)).date()
    return _medium_date(value, _locale())


@lru_cache(maxsize=4096)
def _medium_date(value: date, locale: Locale) -> str:
    # A table shows many rows of few days: each day is formatted once per language.
    return format_date(value, "medium", locale=locale)


def format_moment(value: datetime | None, zone=None, name_zone: bool = True) -> str:
    """A moment on the zone's clock, without seconds, the zone named:
    "Nov 26, 2026, 10:45 AM (Almaty time)", "2026年11月26日 10:45（阿拉木图时间）".
    `name_zone=False` only where a heading names the zone already (the audit log's UTC)."""
    if value is None:
        return ""
    tz = _timezone(zone)
    if value.tzinfo is None:  # stored in UTC
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(tz)
    locale = _locale()
    # CLDR's own way of joining a date and a time ("{1}, {0}", "{1} {0}" ...).
    pattern = locale.datetime_formats["medium"].replace("'", "")
    text = pattern.replace("{1}", format_date(local, "medium", locale=locale)).replace(
        "{0}", format_time(local, "short", tzinfo=tz, locale=locale)
    )
    if not name_zone:
        return text
    city = get_timezone_location(tz, locale=locale, return_city=True)
    return _("%(moment)s (%(city)s time)", moment=text, city=city)
