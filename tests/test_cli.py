"""Operator commands."""

from __future__ import annotations

from portal.extensions import db
from portal.models import Baseline, Registration, Sector, User, Zone
from portal.services.passwords import verify_password

# A month of dashboard history rather than three years: an open queue all the same, in a second.
DEMO = ["demo", "--history-days", "30"]


def test_users_create_with_password(app):
    result = app.test_cli_runner().invoke(
        args=[
            "users",
            "create",
            "Ops@Example.com",
            "--role",
            "reviewer",
            "--password",
            "steppe wind at dawn",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(db.select(User).where(User.email == "ops@example.com"))
    assert user.role == "reviewer"
    assert user.is_confirmed
    assert verify_password(user.password_hash, "steppe wind at dawn")


def test_users_create_prompts_for_the_password(app):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "admin2@example.com", "--role", "admin"],
        input="steppe wind at dawn\nsteppe wind at dawn\n",
    )
    assert result.exit_code == 0, result.output
    assert (
        db.session.scalar(db.select(User).where(User.email == "admin2@example.com")).role == "admin"
    )


def test_users_create_refuses_a_weak_password(app):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "x@example.com", "--password", "password1234"]
    )
    assert result.exit_code != 0
    assert "too common" in result.output


def test_seed_and_demo_run_twice_without_duplicates(app):
    runner = app.test_cli_runner()
    for _ in range(2):
        assert runner.invoke(args=["seed"]).exit_code == 0
        result = runner.invoke(args=DEMO)
        assert result.exit_code == 0, result.output
    assert "investor@khorgos-gateway.example" in result.output
    assert db.session.scalar(db.select(db.func.count(Zone.id))) == 4
    assert db.session.scalar(db.select(db.func.count(Sector.id))) == 9
    assert {(b.year, b.registrations) for b in db.session.scalars(db.select(Baseline))} == {
        (2016, 2406),
        (2017, 7300),
    }
    # The three demo accounts, and the investors and reviewers of the dashboard's history.
    assert db.session.scalar(db.select(db.func.count(User.id))) == 8


def test_demo_queue_holds_complete_applications_a_reviewer_can_open(app):
    from portal import lifecycle
    from portal.models import Application
    from portal.services.applications import submission_problems

    assert app.test_cli_runner().invoke(args=DEMO).exit_code == 0
    open_ones = db.session.scalars(
        db.select(Application).where(Application.status.in_(lifecycle.OPEN))
    ).all()
    assert open_ones
    for application in open_ones:
        assert submission_problems(application) == []
        assert {d.content_type for d in application.documents} == {"application/pdf"}
        if application.status == lifecycle.IN_REVIEW:
            # "You have this application since ..." needs the moment it was taken.
            assert application.assignee_id is not None
            assert application.assigned_at is not None
        # Nobody has an application nobody took ("answered the request" depends on it).
        taken = any(e.action == "take" for e in application.events)
        assert (application.assignee_id is not None) == taken


def test_the_demo_investor_has_an_application_in_each_state_worth_showing(
    app, client, auth, outbox
):
    from portal.models import Application

    assert app.test_cli_runner().invoke(args=DEMO).exit_code == 0
    investor = db.session.scalar(
        db.select(User).where(User.email == "investor@khorgos-gateway.example")
    )
    applications = db.session.scalars(
        db.select(Application).where(Application.owner_id == investor.id).order_by(Application.id)
    ).all()
    assert [a.status for a in applications] == ["approved", "info_requested", "submitted", "draft"]
    registered, asked, change, _draft = applications
    assert change.is_change and change.changes_id == registered.registration.id
    number = db.session.scalar(
        db.select(Registration.number).where(Registration.application_id == registered.id)
    )
    assert number.startswith("KEG-LOG-")
    assert "business plan" in asked.events[-1].comment
    # The decisions' e-mails are in the development outbox, with links to the applications.
    subjects = [m["Subject"] for m in outbox.messages()]
    assert any(number in s for s in subjects)
    assert any("More information needed" in s for s in subjects)
    assert outbox.last_link(f"/applications/{asked.id}")
    auth.login(investor.email, "silk-road-demo-2026")
    page = client.get("/applications/").get_data(as_text=True)
    for name in ("Altyn Caravan Logistics LLP", "Jade Bridge Electronics LLP", "Silk Thread"):
        assert name in page
    certificate = client.get(f"/applications/{registered.id}/certificate.pdf")
    assert certificate.status_code == 200
    assert certificate.data.startswith(b"%PDF")
    assert client.get(f"/verify/{number}").status_code == 200


def test_seeded_eligibility_matches_the_product(app):
    zones = {z.code: {s.code for s in z.sectors} for z in db.session.scalars(db.select(Zone))}
    assert set(zones) == {"ICBC", "KEG-IND", "KEG-LOG", "LYG"}
    assert "logistics" in zones["KEG-LOG"]
    assert "pharma" not in zones["KEG-LOG"]
    tz = {z.code: z.timezone for z in db.session.scalars(db.select(Zone))}
    assert tz["LYG"] == "Asia/Shanghai"
    assert tz["ICBC"] == "Asia/Almaty"
