"""The registration-rate figures: counted in the database, shaped into small series here.

Every function groups in SQL (by registration day, submission day, status, reason...) and
returns dataclasses; Python only fills the days without registrations with zero and computes
moving averages over those few hundred numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Integer, and_, case, func, literal_column, select

from portal import lifecycle
from portal.extensions import db
from portal.models import (
    Application,
    ApplicationEvent,
    Baseline,
    CompanyStatusEvent,
    Registration,
    RegistrationVersion,
    RejectionReason,
    Sector,
    User,
    Zone,
)
from portal.models.summary import ALL, DailyCount
from portal.services import daily_counts, zone_time

MOVING_AVERAGES = (7, 30)
# Open applications by how long they have waited since their (re)submission, in days.
BACKLOG_AGES = ((0, 2), (3, 7), (8, 14), (15, 30), (31, None))


@dataclass(frozen=True)
class Filters:
    """A window of days (both ends included) and, optionally, one zone and one sector."""

    start: date
    end: date
    zone_id: int | None = None
    sector_id: int | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]


@dataclass(frozen=True)
class Day:
    day: date
    registrations: int
    submissions: int
    # Trailing means over the last 7 and 30 days including this one (days before the
    # window count too, so the first days of the window are not averages of a few days).
    average_7: Decimal
    average_30: Decimal


@dataclass(frozen=True)
class DailySeries:
    days: list[Day]
    registrations: int
    submissions: int
    per_day: Decimal  # registrations per day over the window


@dataclass(frozen=True)
class BaselineRate:
    label: str
    kind: str
    year: int
    registrations: int
    days: int
    per_day: Decimal


@dataclass(frozen=True)
class PaceComparison:
    baseline: BaselineRate
    pace: int  # what the baseline's rate gives by the same day of the year, rounded
    difference: int  # actual - pace: above zero is ahead
    percent: Decimal | None  # difference as a percent of the pace (None when the pace is 0)

    @property
    def ahead(self) -> bool:
        return self.difference >= 0


@dataclass(frozen=True)
class YearToDate:
    on: date
    day_of_year: int
    registrations: int
    comparisons: list[PaceComparison]


@dataclass(frozen=True)
class Breakdown:
    """Registrations per period (week or month) and per zone or sector."""

    period: str  # "week" | "month"
    categories: list[tuple[int, str, str]]  # (id, code, name) in display order
    rows: list[tuple[date, list[int]]]  # period start, count per category
    totals: list[int]


@dataclass(frozen=True)
class FunnelStage:
    stage: str  # submitted | approved | rejected | withdrawn | open
    count: int


@dataclass(frozen=True)
class Durations:
    """How many durations, their median and 90th percentile (in days)."""

    count: int
    median: Decimal | None
    p90: Decimal | None


@dataclass(frozen=True)
class ReviewerTimes:
    reviewer_id: int | None  # None: all reviewers
    name: str
    times: Durations


@dataclass(frozen=True)
class ReviewTimes:
    reviewers: list[ReviewerTimes]  # all first, then each reviewer by decisions
    investor_wait: Durations  # request for information -> resubmission


@dataclass(frozen=True)
class ReasonCount:
    code: str
    label: str
    count: int


@dataclass(frozen=True)
class BacklogBucket:
    min_days: int
    max_days: int | None
    count: int


@dataclass(frozen=True)
class Dashboard:
    filters: Filters
    daily: DailySeries
    baselines: list[BaselineRate]
    year_to_date: YearToDate
    by_zone: Breakdown
    by_sector: Breakdown
    funnel: list[FunnelStage]
    review_times: ReviewTimes
    rejections: list[ReasonCount]
    backlog: list[BacklogBucket]
    companies: CompanySeries


@dataclass(frozen=True)
class CompanyDay:
    """One day of the register: companies registered, status moves taking effect that day,
    and the companies active at its end."""

    day: date
    registered: int
    changed: int  # approved changes of a company's record taking effect that day
    suspended: int
    restored: int
    struck_off: int
    active: int


@dataclass(frozen=True)
class CompanySeries:
    days: list[CompanyDay]
    active_before: int  # active at the end of the day before the window


def _round(value: Decimal, places: str = "0.01") -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def _scoped(stmt, model, filters: Filters):
    if filters.zone_id is not None:
        stmt = stmt.where(model.zone_id == filters.zone_id)
    if filters.sector_id is not None:
        stmt = stmt.where(model.sector_id == filters.sector_id)
    return stmt


def _zone(filters: Filters) -> Zone | None:
    return db.session.get(Zone, filters.zone_id) if filters.zone_id is not None else None


def today(zone_id: int | None = None) -> date:
    """Today in the zone's time zone (Almaty's, the Khorgos zones', for all zones)."""
    return zone_time.today(db.session.get(Zone, zone_id) if zone_id is not None else None)


# --- per day ----------------------------------------------------------------------------------


def _counted(kinds: list[str], start: date, end: date, filters: Filters, by=None):
    """The daily counts of `kinds` (services/daily_counts.py) from `start` to `end`, in the
    filters' zone and sector (0: all zones, all sectors): (day, count) rows, one a day, or
    (day, category, count) with `by` a column (kind, zone or sector): one a day and category."""
    stmt = select(DailyCount.day, *([by] if by is not None else []), DailyCount.count).where(
        DailyCount.kind.in_(kinds), DailyCount.day.between(start, end)
    )
    for column, chosen in (
        (DailyCount.zone_id, filters.zone_id),
        (DailyCount.sector_id, filters.sector_id),
    ):
        if column is by and not chosen:  # every zone (or sector), each apart
            stmt = stmt.where(column != ALL)
        else:
            stmt = stmt.where(column == (chosen or ALL))
    return db.session.execute(stmt).all()


def _counts_by_day(kind: str, start: date, end: date, filters: Filters) -> dict[date, int]:
    counts: dict[date, int] = {}
    for day, count in _counted([kind], start, end, filters):
        counts[day] = counts.get(day, 0) + count
    return counts


def moving_average(values: list[int], size: int, index: int) -> Decimal:
    """The mean of the `size` values ending at `index` (fewer only at the series' start)."""
    window = values[max(0, index - size + 1) : index + 1]
    return _round(Decimal(sum(window)) / Decimal(len(window)))


def daily(filters: Filters) -> DailySeries:
    """Registrations and submissions per day, zeros included, with trailing moving averages.

    The averages look back before the window's first day (up to 29 days), so the first days
    of the window are averaged over full 7 and 30 days like every other day.
    """
    lead = max(MOVING_AVERAGES) - 1
    first = filters.start - timedelta(days=lead)
    registered = _counts_by_day(daily_counts.REGISTERED, first, filters.end, filters)
    submitted = _counts_by_day(daily_counts.SUBMITTED, filters.start, filters.end, filters)
    all_days = [first + timedelta(days=i) for i in range(lead + filters.days)]
    counts = [registered.get(d, 0) for d in all_days]
    days = [
        Day(
            day=all_days[i],
            registrations=counts[i],
            submissions=submitted.get(all_days[i], 0),
            average_7=moving_average(counts, 7, i),
            average_30=moving_average(counts, 30, i),
        )
        for i in range(lead, len(all_days))
    ]
    total = sum(d.registrations for d in days)
    return DailySeries(
        days=days,
        registrations=total,
        submissions=sum(d.submissions for d in days),
        per_day=_round(Decimal(total) / Decimal(filters.days)),
    )


# --- baselines and year to date ---------------------------------------------------------------


def baselines() -> list[BaselineRate]:
    rows = db.session.scalars(db.select(Baseline).order_by(Baseline.kind, Baseline.year))
    return [
        BaselineRate(
            label=b.label,
            kind=b.kind,
            year=b.year,
            registrations=b.registrations,
            days=b.days,
            per_day=_round(b.per_day),
        )
        for b in rows
        if b.days > 0
    ]


def pace(rate: BaselineRate, day_of_year: int) -> int:
    """What the baseline's daily rate gives by that day of the year, rounded to a company."""
    exact = Decimal(rate.registrations) * day_of_year / Decimal(rate.days)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def year_to_date(on: date, filters: Filters, rates: list[BaselineRate]) -> YearToDate:
    """Registrations from 1 January to `on` against each baseline's pace by that day."""
    actual = sum(_counts_by_day(daily_counts.REGISTERED, date(on.year, 1, 1), on, filters).values())
    day_of_year = on.timetuple().tm_yday
    comparisons = []
    for rate in rates:
        expected = pace(rate, day_of_year)
        difference = actual - expected
        percent = _round(Decimal(difference) * 100 / expected, "0.1") if expected else None
        comparisons.append(PaceComparison(rate, expected, difference, percent))
    return YearToDate(on, day_of_year, actual, comparisons)


# --- by zone and by sector --------------------------------------------------------------------


def period_start(day: date, period: str) -> date:
    if period == "month":
        return day.replace(day=1)
    return day - timedelta(days=day.weekday())  # weeks start on Monday


def breakdown(filters: Filters, by: str) -> Breakdown:
    """Registrations per week (windows up to 120 days) or month, per zone or per sector."""
    model, column = (Zone, DailyCount.zone_id) if by == "zone" else (Sector, DailyCount.sector_id)
    period = "week" if filters.days <= 120 else "month"
    grouped = _counted([daily_counts.REGISTERED], filters.start, filters.end, filters, by=column)
    categories = [
        (c.id, c.code, c.name) for c in db.session.scalars(select(model).order_by(model.code))
    ]
    index = {cid: i for i, (cid, _code, _name) in enumerate(categories)}

    def bucket(day: date) -> date:  # the first period starts with the window
        return max(period_start(day, period), filters.start)

    periods: dict[date, list[int]] = {}
    for day in filters.dates():
        periods.setdefault(bucket(day), [0] * len(categories))
    for day, category_id, count in grouped:
        periods[bucket(day)][index[category_id]] += count
    rows = sorted(periods.items())
    totals = [sum(r[1][i] for r in rows) for i in range(len(categories))]
    return Breakdown(period, categories, rows, totals)


# --- the review funnel, review times, reasons and backlog -------------------------------------


def funnel(filters: Filters) -> list[FunnelStage]:
    """What became of the applications submitted in the window (by first submission day)."""
    by_status: dict[str, int] = {}
    kinds = [daily_counts.FUNNEL + state for state in lifecycle.STATES]
    for _day, kind, count in _counted(
        kinds, filters.start, filters.end, filters, by=DailyCount.kind
    ):
        status = kind.removeprefix(daily_counts.FUNNEL)
        by_status[status] = by_status.get(status, 0) + count
    open_count = sum(by_status.get(s, 0) for s in lifecycle.OPEN)
    stages = [
        (lifecycle.SUBMITTED, sum(by_status.values())),
        (lifecycle.APPROVED, by_status.get(lifecycle.APPROVED, 0)),
        (lifecycle.REJECTED, by_status.get(lifecycle.REJECTED, 0)),
        (lifecycle.WITHDRAWN, by_status.get(lifecycle.WITHDRAWN, 0)),
        ("open", open_count),
    ]
    return [FunnelStage(stage, count) for stage, count in stages]


PERCENTILES = (Decimal("0.5"), Decimal("0.9"))
BUCKET_SECONDS = 3600  # durations are counted in whole hours


def _percentile(histogram: list[tuple[int, int]], n: int, p: Decimal) -> Decimal:
    """The p-th percentile (in days) of `n` durations given as sorted (hour, count) buckets.

    Interpolated between the two values around the position, as PostgreSQL's percentile_cont
    does on the sorted durations (each duration being its bucket's whole hours).
    """
    position = (n - 1) * p  # 0-based, fractional
    low = math.floor(position)
    values = []  # the values at sorted positions low and low + 1
    seen = 0
    for hour, count in histogram:
        seen += count
        while len(values) < 2 and seen > low + len(values):
            values.append(Decimal(hour))
        if len(values) == 2:
            break
    a = values[0]
    b = values[1] if len(values) == 2 else a
    return _round((a + (b - a) * (position - low)) / 24, "0.1")


def percentiles(rows) -> tuple[Durations, dict]:
    """Median and 90th percentile (in days) from (key, hour, count) rows: all, and per key."""
    overall: dict[int, int] = {}
    per_key: dict = {}
    for key, hour, count in rows:
        overall[hour] = overall.get(hour, 0) + count
        per_key.setdefault(key, {})[hour] = count

    def durations_of(counts: dict[int, int]) -> Durations:
        n = sum(counts.values())
        if not n:
            return Durations(0, None, None)
        histogram = sorted(counts.items())
        return Durations(n, *(_percentile(histogram, n, p) for p in PERCENTILES))

    return durations_of(overall), {key: durations_of(c) for key, c in per_key.items()}


def _histogram(actions: tuple[str, ...], filters: Filters, per_actor: bool = False):
    """(hour, count), or (actor, hour, count), of the durations stored on the window's events.

    `//` is integer division on both SQLite and PostgreSQL (integer / integer).
    """
    start, end = _event_window(filters)
    # A literal, not a bound parameter: PostgreSQL must see the same expression in GROUP BY.
    hour = ApplicationEvent.elapsed_seconds // literal_column(str(BUCKET_SECONDS), Integer)
    keys = (ApplicationEvent.actor_id, hour) if per_actor else (hour,)
    stmt = (
        select(*keys, func.count())
        .where(
            ApplicationEvent.action.in_(actions),
            ApplicationEvent.created_at >= start,
            ApplicationEvent.created_at < end,
            ApplicationEvent.elapsed_seconds.is_not(None),
        )
        .group_by(*keys)
    )
    return db.session.execute(_scoped_events(stmt, ApplicationEvent, filters)).all()


def _event_window(filters: Filters) -> tuple[datetime, datetime]:
    zone = _zone(filters)
    return zone_time.day_start(filters.start, zone), zone_time.day_end(filters.end, zone)


def _scoped_events(stmt, event, filters: Filters):
    """Restrict events to applications of the filtered zone and sector."""
    if filters.zone_id is None and filters.sector_id is None:
        return stmt
    stmt = stmt.join(Application, Application.id == event.application_id)
    return _scoped(stmt, Application, filters)


def review_times(filters: Filters) -> ReviewTimes:
    """Submission to decision, for decisions made in the window: overall and per reviewer.

    The clock starts at the first submission and stops at the approval or rejection; the
    time applications waited for the investor after a request for information is shown
    apart (request to resubmission, for resubmissions in the window). Both durations are
    stored on the event when it happens (elapsed_seconds), so this reads a per-hour
    histogram grouped in SQL from the events of the window alone.
    """
    overall, per_reviewer = percentiles(_histogram(("approve", "reject"), filters, per_actor=True))
    names = {
        u.id: u.full_name or u.email
        for u in db.session.scalars(select(User).where(User.id.in_(list(per_reviewer))))
    }
    reviewers = [ReviewerTimes(None, "", overall)] + sorted(
        (ReviewerTimes(uid, names.get(uid, str(uid)), t) for uid, t in per_reviewer.items()),
        key=lambda r: (-r.times.count, r.name),
    )
    investor_wait, _ = percentiles(
        (None, hour, count) for hour, count in _histogram(("resubmit",), filters)
    )
    return ReviewTimes(reviewers, investor_wait)


def rejection_reasons(filters: Filters) -> list[ReasonCount]:
    """Rejections made in the window (on the days of the applications' zones), counted by
    reason (most frequent first)."""
    counts: dict[int | None, int] = {}
    for _day, reason_id, count in _counted(
        [daily_counts.REJECTED], filters.start, filters.end, filters, by=DailyCount.detail
    ):
        counts[reason_id or None] = counts.get(reason_id or None, 0) + count
    reasons = {r.id: r for r in db.session.scalars(select(RejectionReason))}
    rows = [
        ReasonCount(reasons[rid].code, reasons[rid].label, n)
        if rid in reasons
        else ReasonCount("", "", n)
        for rid, n in counts.items()
        if n
    ]
    return sorted(rows, key=lambda r: (-r.count, r.label))


def backlog(now: datetime, filters: Filters) -> list[BacklogBucket]:
    """Open applications by how many days they have waited since their (re)submission."""
    cases = []
    for min_days, max_days in BACKLOG_AGES:
        newest = now - timedelta(days=min_days)
        condition = Application.submitted_at <= newest
        if max_days is not None:
            condition = and_(
                condition, Application.submitted_at > now - timedelta(days=max_days + 1)
            )
        cases.append(func.sum(case((condition, 1), else_=0)))
    stmt = select(*cases).where(Application.status.in_(sorted(lifecycle.OPEN)))
    counts = db.session.execute(_scoped(stmt, Application, filters)).one()
    return [
        BacklogBucket(min_days, max_days, int(n or 0))
        for (min_days, max_days), n in zip(BACKLOG_AGES, counts, strict=True)
    ]


# --- the whole page ---------------------------------------------------------------------------


def as_of(filters: Filters, now: datetime) -> date:
    """The last day the year-to-date figures count: the window's end, or today if sooner."""
    return min(filters.end, zone_time.local_date(now, _zone(filters)))


@dataclass(frozen=True)
class Registrations:
    """The public part of the dashboard (the API's registration statistics)."""

    filters: Filters
    daily: DailySeries
    baselines: list[BaselineRate]
    year_to_date: YearToDate
    by_zone: Breakdown
    by_sector: Breakdown


def registrations(filters: Filters, now: datetime) -> Registrations:
    """The dashboard's public figures for one window and scope, computed as the page does."""
    rates = baselines()
    return Registrations(
        filters=filters,
        daily=daily(filters),
        baselines=rates,
        year_to_date=year_to_date(as_of(filters, now), filters, rates),
        by_zone=breakdown(filters, "zone"),
        by_sector=breakdown(filters, "sector"),
    )


# --- the companies on the register -------------------------------------------------------------

# The first day anything can be counted from (before any registration).
EPOCH = date(1900, 1, 1)


def _status_moves(filters: Filters, start: date, end: date, by_day: bool):
    """Status moves taking effect from `start` to `end` in the filters' zone and sector:
    (day, from, to, count) rows, or (from, to, count) without `by_day`. Moves are few beside
    the registrations (a company has a handful in its life), so they are counted from their
    own table; the registrations come from the daily counts."""
    columns = [CompanyStatusEvent.from_status, CompanyStatusEvent.to_status]
    if by_day:
        columns.insert(0, CompanyStatusEvent.effective_on)
    stmt = (
        select(*columns, func.count())
        .join(Registration, Registration.id == CompanyStatusEvent.registration_id)
        .where(CompanyStatusEvent.effective_on.between(start, end))
        .group_by(*columns)
    )
    return db.session.execute(_scoped(stmt, Registration, filters)).all()


def _leaving_active(source: str, target: str) -> int:
    """How a move changes the number of companies not active: +1 leaving active, -1 back."""
    return (source == lifecycle.ACTIVE) - (target == lifecycle.ACTIVE)


def companies(filters: Filters) -> CompanySeries:
    """Per day of the window: companies registered, changes of records approved, companies
    suspended, restored and struck off (by the day each takes effect), and the companies active
    at the day's end."""
    before = filters.start - timedelta(days=1)
    registered_before = sum(
        count for _day, count in _counted([daily_counts.REGISTERED], EPOCH, before, filters)
    )
    inactive_before = sum(
        _leaving_active(source, target) * count
        for source, target, count in _status_moves(filters, EPOCH, before, by_day=False)
    )
    registered = _counts_by_day(daily_counts.REGISTERED, filters.start, filters.end, filters)
    changed = dict(
        db.session.execute(
            _scoped(
                select(RegistrationVersion.effective_on, func.count())
                .join(Registration, Registration.id == RegistrationVersion.registration_id)
                .where(RegistrationVersion.effective_on.between(filters.start, filters.end))
                .group_by(RegistrationVersion.effective_on),
                Registration,
                filters,
            )
        ).all()
    )
    moves: dict[date, list[tuple[str, str, int]]] = {}
    for day, source, target, count in _status_moves(filters, filters.start, filters.end, True):
        moves.setdefault(day, []).append((source, target, count))
    active = registered_before - inactive_before
    days = []
    for day in filters.dates():
        todays = moves.get(day, [])
        active += registered.get(day, 0) - sum(_leaving_active(s, t) * n for s, t, n in todays)
        days.append(
            CompanyDay(
                day=day,
                registered=registered.get(day, 0),
                changed=changed.get(day, 0),
                suspended=sum(n for _s, t, n in todays if t == lifecycle.SUSPENDED),
                restored=sum(n for _s, t, n in todays if t == lifecycle.ACTIVE),
                struck_off=sum(n for _s, t, n in todays if t == lifecycle.STRUCK_OFF),
                active=active,
            )
        )
    return CompanySeries(days=days, active_before=registered_before - inactive_before)


def dashboard(filters: Filters, now: datetime) -> Dashboard:
    """Every figure of the dashboard page for one window and scope: the public ones (as the API
    gives them) and the review's."""
    public = registrations(filters, now)
    return Dashboard(
        **{f.name: getattr(public, f.name) for f in fields(public)},
        funnel=funnel(filters),
        review_times=review_times(filters),
        rejections=rejection_reasons(filters),
        backlog=backlog(now, filters),
        companies=companies(filters),
    )
