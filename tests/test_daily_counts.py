"""The dashboard's daily counts are kept with every move and always equal a recount."""

from __future__ import annotations

import importlib.util
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from portal import lifecycle
from portal.extensions import db
from portal.models import DailyCount, RejectionReason
from portal.services import applications as app_service
from portal.services import daily_counts, review, stats
from portal.services.stats import Filters
from tests.factories import UserFactory, complete_application, sector, zone

MIGRATION = Path(__file__).parent.parent / "migrations" / "versions" / "0010_daily_counts.py"
DAY = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # 2 March in Almaty


def submitted(investor, **kwargs):
    application = complete_application(owner=investor, **kwargs)
    app_service.submit(application, investor)
    db.session.commit()
    return application


def taken(application, reviewer):
    review.take(application, reviewer)
    db.session.commit()
    return application


@pytest.fixture
def moves(app):
    """Applications moved every way the lifecycle allows, over two days."""
    investor, reviewer = UserFactory(), UserFactory(role="reviewer")
    reason = db.session.scalars(db.select(RejectionReason)).first()
    with time_machine.travel(DAY, tick=False):
        approved = taken(submitted(investor), reviewer)
        review.approve(approved, reviewer)
        rejected = taken(submitted(investor), reviewer)
        review.reject(rejected, reviewer, reason, "Outside the zone's plan.")
        asked = taken(submitted(investor), reviewer)
        review.request_info(asked, reviewer, "Please add the lease.")
        withdrawn = submitted(investor)
        app_service.withdraw(withdrawn, investor)
        draft_withdrawn = complete_application(owner=investor)
        app_service.withdraw(draft_withdrawn, investor)
        waiting = submitted(investor)
        db.session.commit()
    with time_machine.travel(DAY + timedelta(days=1), tick=False):
        # The investor moves the application to another zone and sector, and resubmits.
        app_service.update_fields(
            asked, "company", {"zone_id": zone("KEG-LOG").id, "sector_id": sector("logistics").id}
        )
        app_service.submit(asked, investor, comment="Lease added, and the right zone.")
        db.session.commit()
        review.approve(taken(asked, reviewer), reviewer)
        db.session.commit()
    return {"approved": approved, "rejected": rejected, "asked": asked, "waiting": waiting}


def test_counts_kept_with_the_moves_equal_a_recount(moves):
    assert daily_counts.stored() == daily_counts.recount()
    assert daily_counts.stored()  # not two empty tables


def test_the_dashboard_reads_the_moves_from_the_counts(moves):
    window = Filters(date(2026, 3, 1), date(2026, 3, 31))

    funnel = {s.stage: s.count for s in stats.funnel(window)}
    series = stats.daily(window)

    assert funnel == {"submitted": 5, "approved": 2, "rejected": 1, "withdrawn": 1, "open": 1}
    assert series.submissions == 5 and series.registrations == 2
    logistics = Filters(*window.dates()[:: len(window.dates()) - 1], zone_id=zone("KEG-LOG").id)
    assert stats.daily(logistics).registrations == 1  # the application that changed zone
    assert [r.count for r in stats.rejection_reasons(window)] == [1]


def test_a_move_rolled_back_leaves_the_counts_as_they_were(moves):
    before = daily_counts.stored()
    waiting = moves["waiting"]
    taken_by = UserFactory(role="reviewer")
    review.take(waiting, taken_by)
    db.session.rollback()

    assert daily_counts.stored() == before == daily_counts.recount()
    assert db.session.get(type(waiting), waiting.id).status == lifecycle.SUBMITTED


def test_the_demo_history_is_counted_as_it_is_written(app):
    from portal.demo import load_demo, load_history

    load_history(days=60, today=date(2026, 4, 10))
    load_demo()

    assert daily_counts.stored() == daily_counts.recount()
    assert daily_counts.stored()[(daily_counts.REGISTERED, date(2026, 4, 1), 0, 0, 0)] > 0


def test_the_migration_fills_the_table_as_the_recount_counts(moves):
    spec = importlib.util.spec_from_file_location("migration_0010", MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)

    backfilled = +migration._recount(db.session.connection())

    assert backfilled == daily_counts.recount()


def test_rebuild_replaces_the_counts_by_a_recount(moves):
    db.session.execute(DailyCount.__table__.delete())
    db.session.commit()
    assert not daily_counts.stored()

    daily_counts.rebuild()
    db.session.commit()

    assert daily_counts.stored() == daily_counts.recount()


def test_the_demo_history_holds_a_suspension_a_suspension_lifted_and_a_strike_off(app):
    from portal import lifecycle
    from portal.demo import load_history
    from portal.models import CompanyStatusEvent, Registration

    load_history(days=60, today=date(2026, 4, 10))

    statuses = db.session.scalars(db.select(Registration.status)).all()
    moves = db.session.execute(
        db.select(CompanyStatusEvent.from_status, CompanyStatusEvent.to_status)
    ).all()
    assert statuses.count(lifecycle.SUSPENDED) == 1
    assert statuses.count(lifecycle.STRUCK_OFF) == 1
    assert (lifecycle.SUSPENDED, lifecycle.ACTIVE) in moves  # one was lifted
    assert daily_counts.stored() == daily_counts.recount()
