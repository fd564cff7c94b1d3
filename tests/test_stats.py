"""The dashboard's figures on known data: every number an administrator reads, checked."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial

import time_machine

from portal.extensions import db
from portal.models import ApplicationEvent, Baseline, RejectionReason
from portal.services import applications as app_service
from portal.services import stats
from portal.services.stats import Filters
from tests.factories import (
    ApplicationFactory,
    UserFactory,
    complete_application,
    event,
    registered,
    sector,
    zone,
)


def days_between(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def spread(total: int, days: list[date]) -> dict[date, int]:
    """`total` registrations spread as evenly as possible over `days`."""
    base, extra = divmod(total, len(days))
    return {d: base + (1 if i < extra else 0) for i, d in enumerate(days)}


def test_2406_registrations_over_2016_make_6_57_a_day(app):
    year = days_between(date(2016, 1, 1), date(2016, 12, 31))
    registered(spread(2406, year))

    series = stats.daily(Filters(date(2016, 1, 1), date(2016, 12, 31)))

    assert len(series.days) == 366
    assert series.registrations == 2406
    assert series.per_day == Decimal("6.57")


def test_baselines_come_from_the_database_with_their_daily_rate(app):
    db.session.add(
        Baseline(label="Target 2027", year=2027, registrations=10950, days=365, kind="target")
    )
    db.session.commit()

    rates = {b.label: b.per_day for b in stats.baselines()}

    assert rates == {"2016": Decimal("6.57"), "2017": Decimal("20.00"), "Target 2027": 30}


def test_days_without_registrations_are_zero(app):
    registered({date(2026, 3, 2): 3, date(2026, 3, 5): 1})

    series = stats.daily(Filters(date(2026, 3, 1), date(2026, 3, 7)))

    assert [(d.day.day, d.registrations) for d in series.days] == [
        (1, 0),
        (2, 3),
        (3, 0),
        (4, 0),
        (5, 1),
        (6, 0),
        (7, 0),
    ]
    assert series.per_day == Decimal("0.57")  # 4 / 7


def test_moving_averages_at_the_window_start_count_the_days_before_it(app):
    # 14 a day in the week before the window, nothing in it.
    registered({d: 14 for d in days_between(date(2026, 2, 22), date(2026, 2, 28))})

    series = stats.daily(Filters(date(2026, 3, 1), date(2026, 3, 10)))

    first = series.days[0]
    assert first.registrations == 0
    assert first.average_7 == Decimal("12.00")  # 23-28 February (84) and 1 March (0)
    assert first.average_30 == Decimal("3.27")  # 98 over the 30 days ending 1 March
    assert series.days[6].average_7 == Decimal("0.00")  # 1-7 March
    assert series.days[6].average_30 == Decimal("3.27")


def test_moving_averages_at_the_window_end_ignore_later_days(app):
    registered({date(2026, 3, 10): 7, date(2026, 3, 11): 700})

    series = stats.daily(Filters(date(2026, 3, 1), date(2026, 3, 10)))

    last = series.days[-1]
    assert last.day == date(2026, 3, 10)
    assert last.average_7 == Decimal("1.00")
    assert last.average_30 == Decimal("0.23")
    assert series.registrations == 7


def test_moving_average_helper_averages_fewer_days_only_at_the_series_start():
    values = [10, 0, 0, 0, 0, 0, 0, 7]
    assert stats.moving_average(values, 7, 0) == Decimal("10.00")
    assert stats.moving_average(values, 7, 6) == Decimal("1.43")
    assert stats.moving_average(values, 7, 7) == Decimal("1.00")


def test_year_to_date_on_day_100_against_the_2016_and_2017_pace(app):
    # 10 April 2026 is day 100: 2016's pace gives 657, 2017's 2,000.
    registered(spread(700, days_between(date(2026, 1, 1), date(2026, 4, 10))))
    registered({date(2025, 12, 31): 50, date(2026, 4, 11): 50})  # outside the year to date

    with time_machine.travel(datetime(2026, 4, 10, 9, 0, tzinfo=UTC), tick=False):
        now = datetime.now(UTC)
        page = stats.dashboard(Filters(date(2026, 3, 12), date(2026, 4, 10)), now)

    ytd = page.year_to_date
    assert (ytd.on, ytd.day_of_year, ytd.registrations) == (date(2026, 4, 10), 100, 700)
    by_label = {c.baseline.label: c for c in ytd.comparisons}
    assert (by_label["2016"].pace, by_label["2016"].difference) == (657, 43)
    assert by_label["2016"].percent == Decimal("6.5") and by_label["2016"].ahead
    assert (by_label["2017"].pace, by_label["2017"].difference) == (2000, -1300)
    assert by_label["2017"].percent == Decimal("-65.0") and not by_label["2017"].ahead


def test_year_to_date_of_a_past_window_is_taken_at_its_last_day(app):
    registered(spread(2406, days_between(date(2016, 1, 1), date(2016, 12, 31))))

    page = stats.dashboard(
        Filters(date(2016, 1, 1), date(2016, 12, 31)), datetime(2026, 4, 10, tzinfo=UTC)
    )

    ytd = page.year_to_date
    assert (ytd.on, ytd.day_of_year, ytd.registrations) == (date(2016, 12, 31), 366, 2406)
    by_label = {c.baseline.label: c for c in ytd.comparisons}
    assert (by_label["2016"].pace, by_label["2016"].difference) == (2406, 0)


def test_zone_and_sector_filters_and_breakdowns(app):
    registered({date(2026, 3, 2): 2}, "KEG-IND", "textiles")
    registered({date(2026, 3, 3): 3}, "KEG-IND", "pharma")
    registered({date(2026, 3, 20): 4}, "KEG-LOG", "logistics")
    window = (date(2026, 3, 1), date(2026, 3, 31))

    assert stats.daily(Filters(*window)).registrations == 9
    assert stats.daily(Filters(*window, zone_id=zone("KEG-IND").id)).registrations == 5
    assert stats.daily(Filters(*window, sector_id=sector("pharma").id)).registrations == 3

    by_zone = stats.breakdown(Filters(*window), "zone")
    assert by_zone.period == "week"
    totals = dict(
        zip([code for _id, code, _name in by_zone.categories], by_zone.totals, strict=True)
    )
    assert totals == {"ICBC": 0, "KEG-IND": 5, "KEG-LOG": 4, "LYG": 0}
    # Weeks start on Monday; the first one starts with the window (Sunday 1 March).
    assert [row[0] for row in by_zone.rows][:3] == [
        date(2026, 3, 1),
        date(2026, 3, 2),
        date(2026, 3, 9),
    ]
    week_of_2nd = dict(by_zone.rows)[date(2026, 3, 2)]
    assert week_of_2nd[[c for _id, c, _name in by_zone.categories].index("KEG-IND")] == 5

    by_sector = stats.breakdown(Filters(date(2026, 1, 1), date(2026, 12, 31)), "sector")
    assert by_sector.period == "month"
    march = dict(by_sector.rows)[date(2026, 3, 1)]
    codes = [c for _id, c, _name in by_sector.categories]
    assert march[codes.index("pharma")] == 3 and march[codes.index("logistics")] == 4


def test_submissions_per_day_are_counted_by_the_first_submission_in_almaty(app):
    investor = UserFactory()
    application = complete_application(owner=investor)
    # 21:00 UTC on 9 April is already 10 April in Almaty.
    with time_machine.travel(datetime(2026, 4, 9, 21, 0, tzinfo=UTC), tick=False):
        app_service.submit(application, investor)
        db.session.commit()

    series = stats.daily(Filters(date(2026, 4, 9), date(2026, 4, 10)))

    assert application.submitted_on == date(2026, 4, 10)
    assert [d.submissions for d in series.days] == [0, 1]


def test_funnel_counts_what_became_of_the_applications_submitted_in_the_window(app):
    day = date(2026, 3, 5)
    for status, count in [
        ("approved", 3),
        ("rejected", 2),
        ("withdrawn", 1),
        ("submitted", 1),
        ("in_review", 2),
        ("info_requested", 1),
    ]:
        for _ in range(count):
            ApplicationFactory(status=status, submitted_on=day)
    ApplicationFactory(status="approved", submitted_on=date(2026, 2, 1))  # before the window
    ApplicationFactory(status="draft")  # never submitted

    stages = stats.funnel(Filters(date(2026, 3, 1), date(2026, 3, 31)))

    assert [(s.stage, s.count) for s in stages] == [
        ("submitted", 10),
        ("approved", 3),
        ("rejected", 2),
        ("withdrawn", 1),
        ("open", 4),
    ]


def _decided_after(days: float, reviewer, action="approve", reason=None):
    submitted = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
    application = ApplicationFactory(status="submitted", submitted_on=date(2026, 3, 1))
    event(application, "submit", application.owner, submitted)
    event(application, "take", reviewer, submitted + timedelta(hours=1))
    event(application, action, reviewer, submitted + timedelta(days=days), reason=reason)
    return application


def test_review_times_median_and_90th_percentile_overall_and_per_reviewer(app):
    anna = UserFactory(role="reviewer", full_name="Anna")
    bolat = UserFactory(role="reviewer", full_name="Bolat")
    for days in (1, 2, 3):
        _decided_after(days, anna)
    for days in (4, 10):
        _decided_after(days, bolat, action="reject")

    times = stats.review_times(Filters(date(2026, 3, 1), date(2026, 3, 31)))

    overall, first, second = times.reviewers
    assert overall.reviewer_id is None
    assert (overall.times.count, overall.times.median, overall.times.p90) == (
        5,
        Decimal("3.0"),
        Decimal("7.6"),  # 4 + 0.6 x (10 - 4), as percentile_cont interpolates
    )
    assert (first.name, first.times.count, first.times.median, first.times.p90) == (
        "Anna",
        3,
        Decimal("2.0"),
        Decimal("2.8"),
    )
    assert (second.name, second.times.median, second.times.p90) == (
        "Bolat",
        Decimal("7.0"),
        Decimal("9.4"),
    )


def test_review_times_count_only_decisions_in_the_window(app):
    reviewer = UserFactory(role="reviewer")
    _decided_after(2, reviewer)  # decided 3 March
    _decided_after(40, reviewer)  # decided 10 April

    times = stats.review_times(Filters(date(2026, 3, 1), date(2026, 3, 31)))

    assert times.reviewers[0].times.count == 1
    assert times.reviewers[0].times.median == Decimal("2.0")


def test_waiting_for_the_investor_runs_from_the_request_to_the_resubmission(app):
    reviewer = UserFactory(role="reviewer")
    start = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    for wait_days in (1, 3, 8):
        application = ApplicationFactory(status="submitted", submitted_on=start.date())
        event(application, "submit", application.owner, start)
        event(application, "take", reviewer, start + timedelta(hours=1))
        event(application, "request_info", reviewer, start + timedelta(days=1))
        event(application, "resubmit", application.owner, start + timedelta(days=1 + wait_days))

    wait = stats.review_times(Filters(date(2026, 3, 1), date(2026, 3, 31))).investor_wait

    assert (wait.count, wait.median, wait.p90) == (3, Decimal("3.0"), Decimal("7.0"))


def test_review_times_without_decisions_are_empty(app):
    times = stats.review_times(Filters(date(2026, 3, 1), date(2026, 3, 31)))
    assert times.reviewers[0].times.count == 0
    assert times.reviewers[0].times.median is None
    assert times.investor_wait.count == 0


def test_rejection_reasons_are_counted(app):
    reviewer = UserFactory(role="reviewer")
    reasons = {r.code: r for r in db.session.scalars(db.select(RejectionReason))}
    for code in ("incomplete_documents", "incomplete_documents", "name_unavailable"):
        _decided_after(2, reviewer, action="reject", reason=reasons[code])
    _decided_after(2, reviewer)  # approved

    counts = stats.rejection_reasons(Filters(date(2026, 3, 1), date(2026, 3, 31)))

    assert [(r.code, r.count) for r in counts] == [
        ("incomplete_documents", 2),
        ("name_unavailable", 1),
    ]


def test_backlog_counts_open_applications_by_age(app):
    now = datetime(2026, 4, 10, 12, 0, tzinfo=UTC)
    for status, age_days in [
        ("submitted", 0),
        ("submitted", 2),
        ("in_review", 3),
        ("info_requested", 10),
        ("in_review", 30),
        ("submitted", 31),
        ("submitted", 200),
        ("approved", 50),  # decided: not in the backlog
    ]:
        ApplicationFactory(status=status, submitted_at=now - timedelta(days=age_days, hours=1))

    buckets = stats.backlog(now, Filters(date(2026, 3, 1), date(2026, 3, 31)))

    assert [(b.min_days, b.max_days, b.count) for b in buckets] == [
        (0, 2, 2),
        (3, 7, 1),
        (8, 14, 1),
        (15, 30, 1),
        (31, None, 2),
    ]


def test_demo_history_is_gapless_matches_its_counters_and_loads_once(app):
    from sqlalchemy import func

    from portal.demo import load_history
    from portal.models import Registration, RegistrationCounter

    added = load_history(days=365, today=date(2026, 4, 10))
    assert added > 2000
    assert load_history(days=365, today=date(2026, 4, 10)) == 0

    per_zone_year = db.session.execute(
        db.select(
            Registration.zone_id, Registration.year, func.count(), func.max(Registration.seq)
        ).group_by(Registration.zone_id, Registration.year)
    ).all()
    counters = {
        (c.zone_id, c.year): c.last_seq for c in db.session.scalars(db.select(RegistrationCounter))
    }
    for zone_id, year, count, last in per_zone_year:
        assert count == last == counters[(zone_id, year)]
    series = stats.daily(Filters(date(2025, 4, 11), date(2026, 4, 10)))
    assert Decimal(5) < series.per_day < Decimal(25)  # around the baselines


def test_moves_store_the_time_since_the_first_submission_or_the_latest_request(app):
    from portal.services import review

    investor = UserFactory()
    reviewer = UserFactory(role="reviewer")
    application = complete_application(owner=investor)
    start = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    submit = partial(app_service.submit, application, investor)
    take = partial(review.take, application, reviewer)
    ask = partial(review.request_info, application, reviewer, "Please sign the charter.")
    moves = [
        (timedelta(0), submit),
        (timedelta(hours=2), take),
        (timedelta(days=1), ask),
        (timedelta(days=2), submit),  # a resubmission
        (timedelta(days=2, hours=1), take),
        (timedelta(days=2, hours=2), ask),
        (timedelta(days=2, hours=7), submit),
        (timedelta(days=2, hours=8), take),
        (timedelta(days=3, minutes=30), partial(review.approve, application, reviewer)),
    ]
    with app.test_request_context():
        for offset, move in moves:
            with time_machine.travel(start + offset, tick=False):
                move()
                db.session.commit()

    stored = db.session.execute(
        db.select(ApplicationEvent.action, ApplicationEvent.elapsed_seconds)
        .where(ApplicationEvent.application_id == application.id)
        .order_by(ApplicationEvent.id)
    ).all()
    assert stored == [
        ("submit", None),
        ("take", None),
        ("request_info", None),
        ("resubmit", 86400),  # one day after the first request
        ("take", None),
        ("request_info", None),
        ("resubmit", 5 * 3600),  # from the latest request, not the first
        ("take", None),
        ("approve", 3 * 86400 + 30 * 60),  # from the first submission
    ]


def test_review_times_count_durations_in_whole_hours(app):
    reviewer = UserFactory(role="reviewer")
    _decided_after((3 * 60 + 59) / 1440, reviewer)  # 3 h 59 min: 0.17 days

    times = stats.review_times(Filters(date(2026, 3, 1), date(2026, 3, 31)))

    assert times.reviewers[0].times.median == Decimal("0.1")  # 3 whole hours: 0.125 days


def test_percentiles_interpolate_between_hour_buckets_like_percentile_cont():
    # Durations 24 h x 3, 48 h x 1, 240 h x 1: sorted 24, 24, 24, 48, 240; the 90th
    # percentile is at position 3.6: 48 + 0.6 x (240 - 48) = 163.2 h = 6.8 days.
    overall, per_key = stats.percentiles([(1, 24, 3), (2, 48, 1), (2, 240, 1)])

    assert (overall.count, overall.median, overall.p90) == (5, Decimal("1.0"), Decimal("6.8"))
    assert per_key[2] == stats.Durations(2, Decimal("6.0"), Decimal("9.2"))


def test_the_register_per_day_counts_moves_on_their_effective_day_and_the_active_companies(app):
    from portal import lifecycle
    from portal.services import company_status
    from tests.factories import registered_application

    admin = UserFactory(role="admin")
    early, later, other_zone = (
        registered_application(number="KEG-IND-2026-000001", registered_on=date(2026, 2, 1)),
        registered_application(number="KEG-IND-2026-000002", registered_on=date(2026, 3, 3)),
        registered_application(
            zone_code="ICBC", number="ICBC-2026-000001", registered_on=date(2026, 2, 2)
        ),
    )
    moves = [
        (early, lifecycle.SUSPENDED, date(2026, 2, 20)),  # before the window
        (early, lifecycle.ACTIVE, date(2026, 3, 2)),
        (later, lifecycle.SUSPENDED, date(2026, 3, 4)),
        (later, lifecycle.STRUCK_OFF, date(2026, 3, 5)),  # suspended already: no longer active
        (other_zone, lifecycle.STRUCK_OFF, date(2026, 3, 4)),
    ]
    for application, target, on in moves:
        company_status.change_status(application.registration, target, admin, "Reason", on)
        db.session.commit()

    everywhere = stats.companies(Filters(date(2026, 3, 1), date(2026, 3, 5)))
    one_zone = stats.companies(Filters(date(2026, 3, 1), date(2026, 3, 5), zone_id=early.zone_id))

    rows = [
        (d.registered, d.changed, d.suspended, d.restored, d.struck_off, d.active)
        for d in everywhere.days
    ]
    assert everywhere.active_before == 1  # two registered, the first one suspended
    assert rows == [
        (0, 0, 0, 0, 0, 1),  # 1 March
        (0, 0, 0, 1, 0, 2),  # restored
        (1, 0, 0, 0, 0, 3),  # registered
        (0, 0, 1, 0, 1, 1),  # one suspended, the other zone's struck off
        (0, 0, 0, 0, 1, 1),  # the suspended one struck off: still one active
    ]
    assert [d.active for d in one_zone.days] == [0, 1, 2, 1, 1]


def test_the_dashboard_shows_the_register_per_day_and_a_strike_off_renews_it(make_app):
    from portal import lifecycle, page_cache
    from portal.services import company_status
    from tests.factories import registered_application

    page_cache._local.clear()
    app = make_app(CACHE_TYPE="SimpleCache")
    with app.app_context():
        admin = UserFactory(role="admin")
        company = registered_application(registered_on=stats.today() - timedelta(days=3))
        client = app.test_client()
        client.post(
            "/login", data={"email": admin.email, "password": "correct horse battery staple"}
        )
        before = client.get("/dashboard/").get_data(as_text=True)
        company_status.change_status(
            company.registration, lifecycle.STRUCK_OFF, admin, "Liquidated", stats.today()
        )
        db.session.commit()
        after = client.get("/dashboard/").get_data(as_text=True)

    assert "Companies on the register per day" in before
    assert 'data-chart="companies"' in before
    table = after[after.index('id="table-companies"') :]
    last_row = table[: table.index("</tbody>")].rsplit("<tr>", 1)[1]
    day, registered_, changed, suspended, restored, struck_off, active = re.findall(
        r'data-value="([^"]*)"', last_row
    )
    assert day == stats.today().isoformat()
    assert (struck_off, active) == ("1", "0")  # struck off today, so none active at its end
