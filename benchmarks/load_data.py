"""The data side of benchmarks/load.py, run in its own process on the benchmark's database.

    DATABASE_URL=... .venv/bin/python benchmarks/load_data.py prepare --history-days 365
    DATABASE_URL=... .venv/bin/python benchmarks/load_data.py check < acknowledged.json

`prepare` migrates an empty database and fills it through the portal's own services (`flask
demo`'s reference data, accounts and a year of history), adds the benchmark's accounts, and
prints what the load needs (eligible zone/sector pairs, registration numbers) as JSON.
`check` reads what the load was told had succeeded and prints, as JSON, what the database
holds of it: lost submissions, registration numbers that repeat or leave gaps, and decisions
without exactly one e-mail.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from portal import create_app, lifecycle  # noqa: E402
from portal.demo import complete_open_applications, load_demo, load_history  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import (  # noqa: E402
    ADMIN,
    INVESTOR,
    REVIEWER,
    Application,
    ApplicationEvent,
    OutgoingEmail,
    Registration,
    RegistrationCounter,
    User,
    Zone,
)
from portal.services.accounts import create_user  # noqa: E402
from portal.services.reference import seed_reference  # noqa: E402

PASSWORD = "caravan-of-load-tests-2026"  # noqa: S105 - a throwaway benchmark database
DECISIONS = ("approve", "reject", "request_info")
# The investor's receipt of a submission names the company too; it is not a decision's e-mail.
RECEIPT = "We received your application"


def account(role: str, index: int) -> str:
    return f"load-{role}-{index}@bench.example"


def prepare(args) -> dict:
    seed_reference()
    load_history(args.history_days)
    load_demo()
    complete_open_applications()
    roles = {INVESTOR: args.investors, REVIEWER: args.reviewers, ADMIN: args.admins}
    for role, count in roles.items():
        for i in range(count):
            create_user(
                account(role, i), PASSWORD, role=role, full_name=f"Load {role} {i}", confirmed=True
            )
    db.session.commit()
    pairs = [
        [zone.id, sector.id]
        for zone in db.session.scalars(select(Zone).where(Zone.active).order_by(Zone.id))
        for sector in zone.sectors
        if sector.active
    ]
    numbers = list(
        db.session.scalars(select(Registration.number).order_by(Registration.id.desc()).limit(200))
    )
    words = sorted(
        {n.split()[0] for n in db.session.scalars(select(Registration.company_name).limit(500))}
    )
    return {
        "password": PASSWORD,
        "accounts": {role: [account(role, i) for i in range(n)] for role, n in roles.items()},
        "pairs": pairs,
        "numbers": numbers,
        "words": words[:40],
        "applications": db.session.scalar(select(func.count(Application.id))),
        "registrations": db.session.scalar(select(func.count(Registration.id))),
    }


def check(acknowledged: dict) -> dict:
    """What the database holds of the acknowledged writes, and whether the numbers hold."""
    submitted = set(acknowledged["submitted"])
    stored = dict(
        db.session.execute(
            select(Application.id, Application.status).where(Application.id.in_(submitted))
        ).all()
    )
    with_submit_event = set(
        db.session.scalars(
            select(ApplicationEvent.application_id).where(
                ApplicationEvent.application_id.in_(submitted), ApplicationEvent.action == "submit"
            )
        )
    )
    lost_submissions = sorted(
        a
        for a in submitted
        if a not in with_submit_event or stored.get(a) in (None, lifecycle.DRAFT)
    )
    decided = acknowledged["decided"]  # [application id, action]
    decided_ids = {a for a, _action in decided}
    events = db.session.execute(
        select(ApplicationEvent.application_id, ApplicationEvent.action).where(
            ApplicationEvent.application_id.in_(decided_ids),
            ApplicationEvent.action.in_(DECISIONS),
        )
    ).all()
    have = {}
    for application_id, action in events:
        have[(application_id, action)] = have.get((application_id, action), 0) + 1
    lost_decisions = sorted({(a, act) for a, act in decided if not have.get((a, act))})

    # Gapless and distinct: per zone and year, numbers 1..n each once, and the counter at n.
    numbering = []
    rows = db.session.execute(
        select(
            Registration.zone_id,
            Registration.year,
            func.count(),
            func.count(func.distinct(Registration.number)),
            func.min(Registration.seq),
            func.max(Registration.seq),
        ).group_by(Registration.zone_id, Registration.year)
    ).all()
    counters = {
        (c.zone_id, c.year): c.last_seq for c in db.session.scalars(select(RegistrationCounter))
    }
    for zone_id, year, count, distinct, low, high in rows:
        if not (count == distinct == high == counters.get((zone_id, year)) and low == 1):
            numbering.append([zone_id, year, count, distinct, low, high])
    approved_without = db.session.scalar(
        select(func.count(Application.id)).where(
            Application.status == lifecycle.APPROVED, ~Application.registration.has()
        )
    )

    # One decision e-mail per decision: the load's applications have names of their own.
    mail_problems = []
    load_apps = db.session.execute(
        select(Application.id, Application.company_name, User.email)
        .join(User, User.id == Application.owner_id)
        .where(Application.company_name.like("Load %"))
    ).all()
    decisions = dict(
        db.session.execute(
            select(ApplicationEvent.application_id, func.count())
            .where(ApplicationEvent.action.in_(DECISIONS))
            .group_by(ApplicationEvent.application_id)
        ).all()
    )
    mails: dict[tuple[str, str], int] = {}
    for recipient, subject in db.session.execute(
        select(OutgoingEmail.recipient, OutgoingEmail.subject).where(
            OutgoingEmail.recipient.like("load-%")
        )
    ):
        mails[(recipient, subject)] = mails.get((recipient, subject), 0) + 1
    for application_id, name, email in load_apps:
        sent = sum(
            n
            for (to, subject), n in mails.items()
            if to == email and name in subject and not subject.startswith(RECEIPT)
        )
        if sent != decisions.get(application_id, 0):
            mail_problems.append([application_id, decisions.get(application_id, 0), sent])
    return {
        "submissions": len(submitted),
        "lost_submissions": lost_submissions,
        "decisions": len(decided),
        "lost_decisions": [list(x) for x in lost_decisions],
        "numbering_problems": numbering,
        "approved_without_registration": approved_without,
        "registrations": db.session.scalar(select(func.count(Registration.id))),
        "decision_mail_problems": mail_problems[:20],
        "decision_mail_problem_count": len(mail_problems),
        "load_applications": len(load_apps),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--history-days", type=int, default=365)
    p.add_argument("--investors", type=int, default=12)
    p.add_argument("--reviewers", type=int, default=12)
    p.add_argument("--admins", type=int, default=12)
    sub.add_parser("check")
    args = parser.parse_args()
    app = create_app()
    with app.app_context():
        if args.command == "prepare":
            upgrade()
            result = prepare(args)
        else:
            result = check(json.load(sys.stdin))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
