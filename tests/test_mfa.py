"""Two-step sign-in: a one-time code from an app after the password (TOTP), recovery codes, and
the roles that must use it (ASVS 4.0.3 2.5, 2.8, 4.3.1)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine

from portal.config import from_environment
from portal.deploy import problems
from portal.extensions import db
from portal.models import AuditEntry, RecoveryCode, User, UserSession
from portal.models.base import utcnow
from portal.services import mfa
from tests.conftest import PASSWORD
from tests.factories import UserFactory

# Ten seconds into a 30-second time step, so a code stays the current one while a test runs.
START = datetime(2026, 3, 2, 6, 0, 10, tzinfo=UTC)
STEP = timedelta(seconds=30)
SECRET_PAGE = re.compile(r'<code id="totp-secret">([A-Z2-7 ]+)</code>')
RECOVERY = re.compile(r"<code>([0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4})</code>")


@pytest.fixture
def clock():
    """A frozen clock the test moves forward with `clock.shift(...)`."""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def code(secret: str, offset: timedelta = timedelta(0)) -> str:
    """What the user's app shows now (or `offset` from now)."""
    return pyotp.TOTP(secret).at(utcnow() + offset)


def enroll(user: User) -> tuple[str, list[str]]:
    """Two-step sign-in turned on for `user` (through the service, as the pages do): its secret
    and recovery codes. The first code's step is used up, so the clock moves a step on."""
    mfa.start_enrollment(user)
    secret = mfa.enrollment_secret(user)
    codes = mfa.confirm_enrollment(user, PASSWORD, code(secret))
    db.session.commit()
    return secret, codes


def password_step(client, user, remember: bool = False, **kw):
    data = {"email": user.email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    return client.post("/login", data=data, **kw)


def code_step(client, typed: str):
    return client.post("/login/code", data={"code": typed})


def audited(*actions: str) -> list[tuple]:
    entries = db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.action.in_(actions)).order_by(AuditEntry.id)
    )
    return [(e.action, e.actor_id, e.details) for e in entries]


def sessions_of(user: User) -> int:
    return db.session.scalar(
        db.select(db.func.count(UserSession.id)).where(UserSession.user_id == user.id)
    )


# --- setting it up ---------------------------------------------------------------------------


def test_set_up_refuses_a_wrong_first_code_next_to_the_field_then_shows_recovery_codes_once(
    app, client, auth, investor, clock
):
    phone = app.test_client()
    phone.post("/login", data={"email": investor.email, "password": PASSWORD})
    auth.login(investor)
    assert "Set up two-step sign-in" in client.get("/account").get_data(as_text=True)
    started = client.post("/account/two-step/start")
    assert started.location == "/account/two-step/setup"
    page = client.get(started.location).get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page  # the QR code, without inline script or style
    secret = SECRET_PAGE.search(page).group(1).replace(" ", "")

    wrong = client.post(
        "/account/two-step/setup", data={"current_password": PASSWORD, "code": "123456"}
    )
    html = wrong.get_data(as_text=True)
    assert 'id="code-error"' in html
    assert "This code is not right." in html
    bad_password = client.post(
        "/account/two-step/setup", data={"current_password": "not it", "code": code(secret)}
    )
    assert 'id="current_password-error"' in bad_password.get_data(as_text=True)
    db.session.refresh(investor)
    assert not investor.has_second_factor

    done = client.post(
        "/account/two-step/setup", data={"current_password": PASSWORD, "code": code(secret)}
    )

    assert done.status_code == 200
    assert done.headers["Cache-Control"] == "no-store"
    shown = RECOVERY.findall(done.get_data(as_text=True))
    assert len(set(shown)) == 10
    db.session.refresh(investor)
    assert investor.has_second_factor
    later = client.get("/account/two-step").get_data(as_text=True)
    assert "10 unused recovery codes" in later
    assert not any(c in later for c in shown)  # shown once, stored only hashed
    stored = db.session.scalars(db.select(RecoveryCode.code_hash)).all()
    assert not any(c.replace("-", "") in h or c in h for c in shown for h in stored)
    assert audited("mfa.enable") == [("mfa.enable", investor.id, "")]
    # This browser stays signed in; the sessions that signed in without a code end.
    assert client.get("/applications/").status_code == 200
    assert phone.get("/applications/").status_code == 302


def test_the_secret_is_stored_encrypted_and_useless_under_another_key(app, investor, clock):
    secret, recovery = enroll(investor)
    stored = db.session.scalar(db.select(User.totp_secret).where(User.id == investor.id))
    assert secret not in stored and secret.lower() not in stored
    clock.shift(STEP)

    app.config["SECRET_KEY"] = "another-key-after-a-careless-rotation"
    assert not mfa.verify(investor, code(secret))
    # The recovery codes do not depend on the key: they still let the owner in.
    assert mfa.use_recovery_code(investor, recovery[0])


# --- signing in ------------------------------------------------------------------------------


def test_the_password_alone_gives_no_session_the_code_completes_the_sign_in(
    client, investor, clock
):
    secret, _codes = enroll(investor)
    clock.shift(STEP)

    first = password_step(client, investor, query_string={"next": "/account"})

    assert first.location == "/login/code"
    assert sessions_of(investor) == 0
    denied = client.get("/applications/")
    assert denied.status_code == 302 and denied.location.startswith("/login")
    page = client.get("/login/code").get_data(as_text=True)
    assert "Enter the 6-digit code from your app" in page
    assert audited("login.success") == []  # not signed in yet

    done = code_step(client, code(secret))

    assert done.location == "/account"  # where they were going
    assert client.get("/applications/").status_code == 200
    assert sessions_of(investor) == 1
    assert audited("login.success") == [("login.success", investor.id, "with a second factor")]


def test_an_admin_page_is_unreachable_between_the_password_and_the_code(client, admin, clock):
    enroll(admin)
    clock.shift(STEP)
    password_step(client, admin)
    for path in ("/admin/users", "/admin/audit", "/review/", "/dashboard/", "/account"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.location.startswith("/login"), path
    assert client.post("/admin/users/1/active", data={"active": "0"}).status_code in (302, 400)
    assert sessions_of(admin) == 0


def test_a_wrong_code_is_refused_next_to_the_field_and_audited(client, investor, clock):
    secret, _codes = enroll(investor)
    clock.shift(STEP)
    password_step(client, investor)

    wrong = code_step(client, "000000" if code(secret) != "000000" else "111111")

    html = wrong.get_data(as_text=True)
    assert wrong.status_code == 200
    assert 'id="code-error"' in html
    assert "This code is not right, or it was used already." in html
    assert client.get("/applications/").status_code == 302
    assert audited("mfa.failure") == [
        ("mfa.failure", investor.id, "wrong code: sign-in (the password was right)")
    ]
    assert code_step(client, code(secret)).status_code == 302  # the pending step goes on


def test_a_code_cannot_be_used_twice(app, investor, clock):
    secret, _codes = enroll(investor)
    clock.shift(STEP)
    laptop, eavesdropper = app.test_client(), app.test_client()
    password_step(laptop, investor)
    password_step(eavesdropper, investor)
    seen = code(secret)

    assert code_step(laptop, seen).status_code == 302
    replayed = code_step(eavesdropper, seen)

    assert replayed.status_code == 200
    assert "used already" in replayed.get_data(as_text=True)
    assert eavesdropper.get("/applications/").status_code == 302
    # Nor a code from the step before, once a later step's code was accepted.
    clock.shift(STEP)
    assert code_step(eavesdropper, code(secret, -2 * STEP)).status_code == 200
    # The next step's code works (a phone's clock a step ahead or behind is fine).
    assert code_step(eavesdropper, code(secret, STEP)).status_code == 302


def test_a_recovery_code_signs_in_once(app, investor, clock):
    _secret, recovery = enroll(investor)
    clock.shift(STEP)
    first, second = app.test_client(), app.test_client()
    password_step(first, investor)
    password_step(second, investor)
    typed = recovery[3].upper().replace("-", " ")  # as someone might copy it from paper

    assert code_step(first, typed).status_code == 302
    assert first.get("/applications/").status_code == 200
    again = code_step(second, recovery[3])
    assert again.status_code == 200
    assert "used already" in again.get_data(as_text=True)
    assert audited("mfa.recovery_used") == [
        ("mfa.recovery_used", investor.id, "recovery codes left: 9")
    ]
    assert "9 unused recovery codes" in first.get("/account/two-step").get_data(as_text=True)


def test_the_step_between_password_and_code_ends_after_five_minutes(app, investor, clock):
    secret, _codes = enroll(investor)
    clock.shift(STEP)
    late, in_time = app.test_client(), app.test_client()
    password_step(late, investor)
    password_step(in_time, investor)
    clock.shift(timedelta(minutes=4, seconds=50))
    assert code_step(in_time, code(secret)).status_code == 302
    clock.shift(timedelta(seconds=11))  # 5 minutes and a second after the password

    response = code_step(late, code(secret, STEP))

    assert response.location == "/login"
    page = late.get("/login").get_data(as_text=True)
    assert "The sign-in waited too long for the code. Enter your password again." in page
    assert late.get("/applications/").status_code == 302


@pytest.mark.parametrize("remember", [True, False])
def test_keep_me_signed_in_is_carried_through_the_second_step(client, investor, clock, remember):
    secret, _codes = enroll(investor)
    clock.shift(STEP)
    assert password_step(client, investor, remember=remember).location == "/login/code"
    assert client.get_cookie("remember_token") is None  # nothing to remember yet

    code_step(client, code(secret))

    assert (client.get_cookie("remember_token") is not None) is remember


def test_wrong_codes_are_throttled_per_account_whatever_the_address(make_app, investor, clock):
    enroll(investor)
    clock.shift(STEP)
    limited = make_app(RATELIMIT_ENABLED=True)
    statuses = []
    for n in range(11):
        client = limited.test_client()
        client.environ_base["REMOTE_ADDR"] = f"198.51.100.{n + 1}"
        password_step(client, investor)
        statuses.append(code_step(client, "999999").status_code)

    assert statuses == [200] * 10 + [429]
    details = [d for _a, _u, d in audited("mfa.failure")]
    assert details.count("wrong code: sign-in (the password was right)") == 10
    assert details[-1] == "too many codes: 10 per 1 hour"


# --- who must use it -------------------------------------------------------------------------


@pytest.fixture
def strict(make_app):
    return make_app(MFA_REQUIRED_ROLES=["admin", "reviewer"])


def test_a_required_role_is_sent_to_set_up_and_reaches_nothing_else_until_done(
    strict, admin, clock
):
    client = strict.test_client()
    password_step(client, admin)
    for path in ("/review/", "/admin/users", "/account", "/dashboard/", "/"):
        response = client.get(path)
        assert response.location == "/account/two-step", path
    page = client.get("/account/two-step").get_data(as_text=True)
    assert "Your role needs two-step sign-in: set it up to continue." in page
    stylesheet = client.get("/static/css/portal.css")
    stylesheet.close()
    assert stylesheet.status_code == 200
    assert client.post("/language", data={"code": "ru"}).status_code == 302
    client.post("/language", data={"code": "en"})

    client.post("/account/two-step/start")
    page = client.get("/account/two-step/setup").get_data(as_text=True)
    secret = SECRET_PAGE.search(page).group(1).replace(" ", "")
    client.post(
        "/account/two-step/setup", data={"current_password": PASSWORD, "code": code(secret)}
    )

    assert client.get("/admin/users").status_code == 200


def test_a_required_role_can_sign_out_before_setting_up(strict, reviewer):
    client = strict.test_client()
    password_step(client, reviewer)
    assert client.post("/logout").location == "/"
    assert client.get("/review/").location.startswith("/login")


def test_roles_not_required_are_left_alone(strict, investor):
    client = strict.test_client()
    password_step(client, investor)
    assert client.get("/applications/").status_code == 200


@pytest.mark.parametrize(
    ("variables", "required"),
    [
        ({"PORTAL_ENV": "production"}, ["admin", "reviewer"]),
        ({}, []),  # development: the demo accounts sign in with a password
        ({"MFA_REQUIRED_ROLES": "Admin, investor"}, ["admin", "investor"]),
    ],
)
def test_the_required_roles_default_to_staff_in_production(
    monkeypatch, tmp_path, variables, required
):
    for name in ("PORTAL_ENV", "MFA_REQUIRED_ROLES"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert from_environment(str(tmp_path))["MFA_REQUIRED_ROLES"] == required


@pytest.mark.parametrize(
    ("roles", "listed"), [([], True), (["reviewer"], True), (["admin"], False)]
)
def test_check_deploy_lists_staff_signing_in_without_a_second_factor(app, roles, listed):
    found = problems({**app.config, "MFA_REQUIRED_ROLES": roles})
    assert any("staff can sign in without a second factor" in p for p in found) is listed


# --- recovery codes and turning it off -------------------------------------------------------


def test_new_recovery_codes_need_a_code_and_replace_the_old_ones(client, auth, investor, clock):
    secret, old = enroll(investor)
    clock.shift(STEP)
    password_step(client, investor)
    code_step(client, code(secret))
    clock.shift(STEP)

    refused = client.post("/account/two-step/recovery-codes", data={"codes-code": "123456"})
    assert refused.status_code == 422
    assert 'id="codes-code-error"' in refused.get_data(as_text=True)

    made = client.post("/account/two-step/recovery-codes", data={"codes-code": code(secret)})

    new = RECOVERY.findall(made.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    assert not mfa.use_recovery_code(investor, old[0])
    assert mfa.use_recovery_code(investor, new[0])
    assert [a for a, _u, _d in audited("mfa.recovery_regenerated", "mfa.failure")] == [
        "mfa.failure",
        "mfa.recovery_regenerated",
    ]


def test_turning_it_off_needs_the_password_and_a_code(app, client, investor, clock):
    secret, _codes = enroll(investor)
    clock.shift(STEP)
    password_step(client, investor)
    code_step(client, code(secret))
    clock.shift(STEP)

    def turn_off(password, typed):
        return client.post(
            "/account/two-step/off", data={"off-current_password": password, "off-code": typed}
        )

    no_password = turn_off("not the password", code(secret))
    assert no_password.status_code == 422
    assert 'id="off-current_password-error"' in no_password.get_data(as_text=True)
    no_code = turn_off(PASSWORD, "123456")
    assert no_code.status_code == 422
    assert 'id="off-code-error"' in no_code.get_data(as_text=True)
    db.session.refresh(investor)
    assert investor.has_second_factor

    assert turn_off(PASSWORD, code(secret)).status_code == 302

    db.session.refresh(investor)
    assert not investor.has_second_factor and investor.totp_secret is None
    assert db.session.scalar(db.select(db.func.count(RecoveryCode.id))) == 0
    assert [a for a, _u, _d in audited("mfa.disable", "mfa.failure")] == [
        "mfa.failure",
        "mfa.disable",
    ]
    fresh = app.test_client()
    assert password_step(fresh, investor).location != "/login/code"
    assert fresh.get("/applications/").status_code == 200


def test_the_audit_log_names_the_two_step_events(client, auth, investor, clock):
    enroll(investor)
    admin = UserFactory(role="admin")
    auth.login(admin)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Two-step sign-in turned on" in page


def test_an_operator_turns_two_step_off_for_someone_who_lost_phone_and_codes(app, admin, clock):
    enroll(admin)
    clock.shift(STEP)
    client = app.test_client()
    password_step(client, admin)
    assert code_step(client, "000000").status_code in (200, 422)  # the lost phone's code: no

    result = app.test_cli_runner().invoke(args=["users", "reset-two-step", admin.email])

    assert result.exit_code == 0, result.output
    assert "Two-step sign-in is off" in result.output
    db.session.refresh(admin)
    assert not admin.has_second_factor
    assert db.session.scalar(db.select(db.func.count()).select_from(RecoveryCode)) == 0
    assert ("mfa.disable", None, "reset by an operator") in [
        (e.action, e.actor_id, e.details) for e in db.session.scalars(db.select(AuditEntry))
    ]
    # The password alone signs in again (two-step is not required in the test configuration).
    fresh = app.test_client()
    assert password_step(fresh, admin).location != "/login/code"
    unknown = app.test_cli_runner().invoke(args=["users", "reset-two-step", "nobody@example.com"])
    assert unknown.exit_code != 0 and "No account" in unknown.output
