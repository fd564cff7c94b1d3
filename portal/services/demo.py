"""Demo data for a first start: accounts and a few applications in different states."""

from __future__ import annotations

from decimal import Decimal

from portal.extensions import db
from portal.models import Application, Sector, User, Zone
from portal.services import accounts as accounts_service
from portal.services import applications as app_service

DEMO_PASSWORD = "silk-road-demo-2026"  # noqa: S105 - public demo accounts only
DEMO_USERS = [
    ("admin", "admin@khorgos-gateway.example", "Aigerim Nurlanovna"),
    ("reviewer", "reviewer@khorgos-gateway.example", "Dauren Seitkali"),
    ("investor", "investor@khorgos-gateway.example", "Li Wei"),
]


def _user(role: str, email: str, name: str) -> User:
    user = accounts_service.find_user_by_email(email)
    if user is None:
        user = accounts_service.create_user(
            email, DEMO_PASSWORD, role=role, full_name=name, confirmed=True
        )
    return user


def load_demo() -> dict:
    users = {role: _user(role, email, name) for role, email, name in DEMO_USERS}
    investor = users["investor"]
    has_any = db.session.scalar(
        db.select(db.func.count(Application.id)).where(Application.owner_id == investor.id)
    )
    if not has_any:
        zone = db.session.scalar(db.select(Zone).where(Zone.code == "KEG-IND"))
        sector = db.session.scalar(db.select(Sector).where(Sector.code == "textiles"))
        draft = app_service.create_draft(investor)
        app_service.update_fields(
            draft,
            "company",
            {
                "company_name": "Silk Thread Textiles LLP",
                "legal_form": "llp",
                "zone_id": zone.id,
                "sector_id": sector.id,
                "activity_code": "13.92.0",
                "address": "Industrial zone, plot 14",
                "director_name": "Li Wei",
                "director_nationality": "CN",
                "contact_email": investor.email,
            },
        )
        app_service.update_fields(
            draft,
            "investment",
            {
                "investment_amount": Decimal("2500000.00"),
                "investment_currency": "USD",
                "planned_jobs": 120,
            },
        )
    db.session.commit()
    return {
        "password": DEMO_PASSWORD,
        "users": [(role, email) for role, email, _ in DEMO_USERS],
    }
