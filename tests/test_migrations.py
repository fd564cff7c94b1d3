"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portal.extensions import db


def test_migrations_match_the_models(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn)
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_event_durations_are_filled_in_for_history_recorded_before_they_were_stored(app):
    from datetime import UTC, datetime, timedelta

    from flask_migrate import downgrade, upgrade

    from portal.models import ApplicationEvent
    from tests.factories import ApplicationFactory, UserFactory, event

    reviewer = UserFactory(role="reviewer")
    application = ApplicationFactory(status="submitted")
    submitted = datetime(2026, 3, 1, 6, 0, 0, 250000, tzinfo=UTC)
    event(application, "submit", application.owner, submitted)
    event(application, "take", reviewer, submitted + timedelta(hours=1))
    event(application, "request_info", reviewer, submitted + timedelta(days=1))
    event(application, "resubmit", application.owner, submitted + timedelta(days=2, hours=3))
    event(application, "take", reviewer, submitted + timedelta(days=3))
    event(application, "request_info", reviewer, submitted + timedelta(days=4))
    event(application, "resubmit", application.owner, submitted + timedelta(days=4, hours=5))
    event(application, "approve", reviewer, submitted + timedelta(days=6, seconds=0.6))
    db.session.remove()
    db.engine.dispose()

    downgrade(revision="0002_dashboard")  # the column goes, the events stay
    upgrade()
    db.engine.dispose()

    stored = db.session.execute(
        db.select(ApplicationEvent.action, ApplicationEvent.elapsed_seconds).order_by(
            ApplicationEvent.id
        )
    ).all()
    assert [s for s in stored if s[1] is not None] == [
        ("resubmit", 27 * 3600),
        ("resubmit", 5 * 3600),  # from the latest request for information
        ("approve", 6 * 86400 + 1),  # from the first submission, to the nearest second
    ]
    assert len(stored) == 8
