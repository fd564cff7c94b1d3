"""The dashboard's filters: a GET form, so every view of it is a link that can be shared."""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField
from wtforms.validators import NumberRange, Optional

from portal import page_cache
from portal.forms import DateField, optional_int
from portal.i18n import sector_choices
from portal.services.reference import active_sectors, active_zones
from portal.services.stats import Filters

WINDOWS = [
    ("30", _l("Last 30 days")),
    ("90", _l("Last 90 days")),
    ("365", _l("Last 365 days")),
    ("year", _l("A calendar year")),
    ("custom", _l("Custom range")),
]
MAX_DAYS = 3700  # about ten years: the page stays quick


def _choices() -> tuple[list, list]:
    """The active zones and sectors to filter by (kept while they do not change)."""
    return [(z.id, z.code) for z in active_zones()], sector_choices(active_sectors())


class DashboardForm(FlaskForm):
    class Meta:
        csrf = False  # read-only GET form

    window = SelectField(_l("Window"), default="30")
    year = IntegerField(_l("Year"), validators=[Optional(), NumberRange(2000, 2100)])
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])
    zone = SelectField(_l("Zone"), coerce=optional_int, validators=[Optional()])
    sector = SelectField(_l("Sector"), coerce=optional_int, validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.window.choices = WINDOWS
        zones, sectors = page_cache.shared(f"dashboard-choices:{get_locale()}", _choices)
        self.zone.choices = [("", _l("All zones")), *zones]
        self.sector.choices = [("", _l("All sectors")), *sectors]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.window.data == "custom":
            for f in (self.start, self.end):
                if f.data is None and not f.errors:
                    f.errors = [*f.errors, _l("Enter a date (YYYY-MM-DD) for a custom range.")]
                    valid = False
            if self.start.data and self.end.data:
                if self.start.data > self.end.data:
                    self.end.errors = [*self.end.errors, _l("The end comes before the start.")]
                    valid = False
                elif (self.end.data - self.start.data).days >= MAX_DAYS:
                    self.end.errors = [*self.end.errors, _l("Choose at most ten years.")]
                    valid = False
        return valid

    def filters(self, today: date) -> Filters:
        """The window and scope chosen; the last 30 days when something was not valid."""
        zone_id = self.zone.data if not self.zone.errors else None
        sector_id = self.sector.data if not self.sector.errors else None
        window = self.window.data if not self.errors else "30"
        if window == "year":
            year = self.year.data or today.year
            return Filters(date(year, 1, 1), date(year, 12, 31), zone_id, sector_id)
        if window == "custom":
            return Filters(self.start.data, self.end.data, zone_id, sector_id)
        days = int(window) if window in ("30", "90", "365") else 30
        return Filters(today - timedelta(days=days - 1), today, zone_id, sector_id)
