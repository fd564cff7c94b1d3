"""Calendar days in a zone's time zone: registrations and submissions are counted by them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

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
