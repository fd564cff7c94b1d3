"""The dashboard's figures as tables: the page, its charts and its CSV exports all read these.

One structure per table, so the CSV of a table is exactly what the table shows.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from babel import Locale
from babel.dates import format_skeleton
from babel.numbers import format_decimal, format_percent, get_decimal_symbol, get_group_symbol
from flask_babel import get_locale, ngettext
from flask_babel import lazy_gettext as _l

from portal import lifecycle
from portal.i18n import data_text
from portal.services.stats import Dashboard, Filters, period_start
from portal.services.zone_time import format_day


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    # How the values are shown (see Formats); the CSV always has the plain value.
    kind: str = "int"
    labels: dict = field(default_factory=dict)  # for kind "label": value -> what is shown


@dataclass(frozen=True)
class Table:
    key: str  # also the CSV's name: /dashboard/export/<key>.csv
    title: str
    columns: list[Column]
    rows: list[list]
    chart: str  # how static/js/dashboard.js draws it
    note: str = ""


@dataclass(frozen=True)
class Period:
    """A week or a month of a breakdown, as far as it lies inside the window: a first or last
    period cut by the window has fewer days, and is marked, so it does not read as a dip."""

    start: date  # its first day inside the window
    kind: str  # "week" | "month"
    days: int  # its days inside the window
    length: int  # its days in all

    @property
    def partial(self) -> bool:
        return self.days < self.length


def period_in_window(start: date, kind: str, filters: Filters) -> Period:
    first = period_start(start, kind)
    if kind == "month":
        last = (first + timedelta(days=31)).replace(day=1) - timedelta(days=1)
    else:
        last = first + timedelta(days=6)
    inside = (min(last, filters.end) - max(first, filters.start)).days + 1
    return Period(start, kind, inside, (last - first).days + 1)


def plain(value) -> str:
    """The value as the CSV holds it (and as the page gives it to the charts)."""
    if value is None:
        return ""
    if isinstance(value, Period):
        return value.start.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:f}"
    return str(value)


class Formats:
    """Numbers and dates in the page's language.

    A year's table has a few thousand cells; Babel's symbols and date pattern are looked up
    once per page (per-cell calls to flask_babel's formatters cost more than the SQL).
    """

    def __init__(self, locale=None):
        self.locale = locale = Locale.parse(str(locale or get_locale()))
        symbols = str.maketrans({",": get_group_symbol(locale), ".": get_decimal_symbol(locale)})
        self.symbols = symbols
        self.date_pattern = locale.date_formats["medium"]

    def number(self, value, places: int = 0) -> str:
        return f"{value:,.{places}f}".translate(self.symbols)

    def __call__(self, value, kind: str, labels: dict | None = None) -> str:
        if value is None:
            return "—"
        if kind == "date":
            return self.date_pattern.apply(value, self.locale)
        if kind == "period":
            return self.period(value)
        if kind == "int":
            return self.number(value)
        if kind == "dec2":
            return self.number(value, 2)
        if kind == "dec1":
            return self.number(value, 1)
        if kind == "signed":
            return format_decimal(value, "+#,##0;−#,##0", locale=self.locale)
        if kind == "share":
            return format_percent(value / 100, "#,##0.0%", locale=self.locale)
        if kind == "pct":
            return format_percent(value / 100, "+#,##0.0%;−#,##0.0%", locale=self.locale)
        if kind == "label":
            return str((labels or {}).get(value, value))
        return str(value)

    def cell(self, value, column: Column) -> str:
        return self(value, column.kind, column.labels)

    def period(self, period: Period) -> str:
        day = self.date_pattern.apply(period.start, self.locale)
        if not period.partial:
            return day
        if period.kind == "month":
            return ngettext(
                "%(day)s (partial month: %(num)d day in the window)",
                "%(day)s (partial month: %(num)d days in the window)",
                period.days,
                day=day,
            )
        return ngettext(
            "%(day)s (partial week: %(num)d day in the window)",
            "%(day)s (partial week: %(num)d days in the window)",
            period.days,
            day=day,
        )

    def chart_label(self, period: Period) -> str:
        """A period's label under its bar, short ("Aug 31", "Aug 2026": the table has the whole
        date), and a partial period's mark on a second line."""
        skeleton = "yMMM" if period.kind == "month" else "MMMd"
        label = format_skeleton(skeleton, period.start, locale=self.locale)
        if not period.partial:
            return label
        mark = _l("(partial month)") if period.kind == "month" else _l("(partial week)")
        return f"{label}\n{mark}"


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """The value as a CSV cell that a spreadsheet shows and never runs.

    Text starting with = + - @, a tab or a carriage return gets a leading ' (OWASP), so the
    spreadsheet shows it as text. That covers headers too: sector names head their breakdown,
    and admins type those. Numbers, dates and booleans are written as they are: -3 in a
    difference column is a number, not a formula, and a quote would turn it into text that no
    sum adds up. What counts is the value's type, not its column, so text that only looks
    like a number ("-3" typed by an admin) is still escaped.
    """
    text = plain(value)
    if not isinstance(value, int | float | Decimal | date) and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def to_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_cell(str(c.label)) for c in table.columns])
    for row in table.rows:
        writer.writerow([csv_cell(value) for value, _ in zip(row, table.columns, strict=True)])
    return out.getvalue()


# The funnel's stages: where the applications submitted in the window are now, and how many.
STAGES = {**lifecycle.STATE_LABELS, "open": _l("Still open")}
STANDING = {True: _l("ahead"), False: _l("behind")}


def _age(min_days: int, max_days: int | None) -> str:
    if max_days is None:
        return str(_l("%(days)d days or more", days=min_days))
    return str(_l("%(low)d–%(high)d days", low=min_days, high=max_days))


def daily_table(data: Dashboard) -> Table:
    return Table(
        key="daily",
        title=str(_l("Registrations per day")),
        columns=[
            Column("day", str(_l("Date")), "date"),
            Column("registrations", str(_l("Registrations"))),
            Column("average_7", str(_l("7-day average")), "dec2"),
            Column("average_30", str(_l("30-day average")), "dec2"),
            Column("submissions", str(_l("Submissions"))),
        ],
        rows=[
            [d.day, d.registrations, d.average_7, d.average_30, d.submissions]
            for d in data.daily.days
        ],
        chart="daily",
    )


def pace_table(data: Dashboard) -> Table:
    ytd = data.year_to_date
    return Table(
        key="year-to-date",
        title=str(_l("Year to date against the baselines")),
        columns=[
            Column("baseline", str(_l("Baseline")), "text"),
            Column("per_day", str(_l("Per day")), "dec2"),
            Column("pace", str(_l("Pace by day %(n)d", n=ytd.day_of_year))),
            Column("registered", str(_l("Registered"))),
            Column("difference", str(_l("Difference")), "signed"),
            Column("percent", str(_l("Percent")), "pct"),
            Column("standing", str(_l("Standing")), "label", STANDING),
        ],
        rows=[
            [
                c.baseline.label,
                c.baseline.per_day,
                c.pace,
                ytd.registrations,
                c.difference,
                c.percent,
                c.ahead,
            ]
            for c in ytd.comparisons
        ],
        chart="pace",
        note=str(
            _l(
                "Registrations from 1 January to %(day)s (day %(n)d of the year), against "
                "what each baseline's daily rate gives by the same day.",
                day=format_day(ytd.on),
                n=ytd.day_of_year,
            )
        ),
    )


def breakdown_table(data: Dashboard, by: str) -> Table:
    breakdown = data.by_zone if by == "zone" else data.by_sector
    period_label = _l("Week from") if breakdown.period == "week" else _l("Month from")
    return Table(
        key="zones" if by == "zone" else "sectors",
        title=str(_l("Registrations by zone") if by == "zone" else _l("Registrations by sector")),
        columns=[Column("period", str(period_label), "period")]
        # Zones go by their short codes (ICBC, KEG-IND); sectors by their names.
        + [
            Column(code, code if by == "zone" else data_text(name))
            for _id, code, name in breakdown.categories
        ]
        + [Column("total", str(_l("Total")))],
        rows=[
            [period_in_window(start, breakdown.period, data.filters), *counts, sum(counts)]
            for start, counts in breakdown.rows
        ],
        chart="stacked",
    )


def funnel_table(data: Dashboard) -> Table:
    submitted = data.funnel[0].count
    return Table(
        key="funnel",
        title=str(_l("Review funnel")),
        columns=[
            Column("stage", str(_l("Stage")), "label", STAGES),
            Column("applications", str(_l("Applications"))),
            Column("share", str(_l("Share of submitted")), "share"),
        ],
        rows=[
            [
                s.stage,
                s.count,
                (Decimal(s.count * 100) / submitted).quantize(Decimal("0.1"))
                if submitted
                else None,
            ]
            for s in data.funnel
        ],
        chart="bar",
        note=str(_l("Applications first submitted in the window, by what became of them.")),
    )


def review_table(data: Dashboard) -> Table:
    times = data.review_times
    rows = []
    for r in times.reviewers:
        name = r.name if r.reviewer_id is not None else str(_l("All reviewers"))
        rows.append([name, r.times.count, r.times.median, r.times.p90])
    wait = times.investor_wait
    rows.append([str(_l("Waiting for the investor")), wait.count, wait.median, wait.p90])
    return Table(
        key="review-times",
        title=str(_l("Review times")),
        columns=[
            Column("who", str(_l("Reviewer")), "text"),
            Column("count", str(_l("Count"))),
            Column("median", str(_l("Median (days)")), "dec1"),
            Column("p90", str(_l("90th percentile (days)")), "dec1"),
        ],
        rows=rows,
        chart="grouped",
        note=str(
            _l(
                "From the first submission to the decision, for decisions in the window, per "
                "reviewer who decided. Waiting for the investor: from a request for "
                "information to the resubmission."
            )
        )
        + " "
        + str(_l("Durations are counted in whole hours.")),
    )


def rejection_table(data: Dashboard) -> Table:
    return Table(
        key="rejections",
        title=str(_l("Rejection reasons")),
        columns=[
            Column("reason", str(_l("Reason")), "text"),
            Column("rejections", str(_l("Rejections"))),
        ],
        rows=[[data_text(r.label) or str(_l("No reason given")), r.count] for r in data.rejections],
        chart="bar",
        note=str(_l("Rejections decided in the window.")),
    )


def backlog_table(data: Dashboard) -> Table:
    return Table(
        key="backlog",
        title=str(_l("Backlog")),
        columns=[
            Column("age", str(_l("Waiting since (re)submission")), "text"),
            Column("open", str(_l("Open applications"))),
        ],
        rows=[[_age(b.min_days, b.max_days), b.count] for b in data.backlog],
        chart="bar",
        note=str(_l("Applications waiting for a decision today, by age.")),
    )


def companies_table(data: Dashboard) -> Table:
    return Table(
        key="companies",
        title=str(_l("Companies on the register per day")),
        columns=[
            Column("day", str(_l("Date")), "date"),
            Column("registered", str(_l("Registered"))),
            Column("changed", str(_l("Records changed"))),
            Column("suspended", str(_l("Suspended"))),
            Column("restored", str(_l("Restored"))),
            Column("struck_off", str(_l("Struck off"))),
            Column("active", str(_l("Active at the day's end"))),
        ],
        rows=[
            [d.day, d.registered, d.changed, d.suspended, d.restored, d.struck_off, d.active]
            for d in data.companies.days
        ],
        chart="companies",
        note=str(
            _l(
                "Changes of records, suspensions, restorations and strike-offs count on the day "
                "they take effect. Active companies are those registered and neither suspended "
                "nor struck off."
            )
        ),
    )


BUILDERS = {
    "daily": daily_table,
    "companies": companies_table,
    "year-to-date": pace_table,
    "zones": lambda d: breakdown_table(d, "zone"),
    "sectors": lambda d: breakdown_table(d, "sector"),
    "funnel": funnel_table,
    "review-times": review_table,
    "rejections": rejection_table,
    "backlog": backlog_table,
}


def tables(data: Dashboard) -> dict[str, Table]:
    return {key: build(data) for key, build in BUILDERS.items()}
