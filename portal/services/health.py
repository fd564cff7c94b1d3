"""Health of what the portal depends on, for load balancers and operators."""

from __future__ import annotations

from portal.extensions import db


def check_database() -> None:
    """Raise if the database does not answer."""
    db.session.execute(db.text("SELECT 1"))
