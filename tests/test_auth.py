"""Accounts: sign-up, confirmation, login, logout, passwords, sessions that really end."""

from __future__ import annotations

import re
import statistics
import time
from datetime import timedelta

import pytest
import time_machine

from portal.extensions import db
from portal.models import AuditEntry, User, UserSession
from portal.models.base import utcnow
from portal.services import accounts as accounts_service
from portal.services import mail
from portal.services.passwords import hash_password
from tests.conftest import PASSWORD
from tests.factories import UserFactory

ADDRESS = "203.0.113.7"


def signup(client, email="new@example.com", password="a long and unusual phrase", **extra):
    data = {
        "full_name": "Nurlan Abenov",
        "email": email,
        "password": password,
        "password_confirm": extra.pop("password_confirm", password),
    }
    return client.post("/signup", data=data, **extra)


def test_signup_creates_an_unconfirmed_investor_mails_a_link_and_asks_to_sign_in(
    client, auth, outbox
):
    response = signup(client)
    assert response.status_code == 302
    assert response.location == "/login"
    user = db.session.scalar(db.select(User).where(User.email == "new@example.com"))
    assert user.role == "investor"
    assert not user.is_confirmed
    assert user.password_hash.startswith("$argon2id$")
    messages = outbox.messages()
    assert len(messages) == 1
    assert messages[0]["To"] == "new@example.com"
    assert "/confirm/" in outbox.last_link("/confirm/")
    # Nobody is signed in by the sign-up (a known address could not be); the password is.
    assert client.get("/applications/").status_code == 302
    assert auth.login("new@example.com", "a long and unusual phrase").status_code == 302
    assert client.get("/applications/").status_code == 200


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1", "at least 12"),
        ("eleven char", "at least 12"),  # ASVS 2.1.1: 12 characters at the least
        ("password1234", "too common"),
        ("qwertyuiop12", "too common"),
        ("aaaaaaaaaaaa", "too common"),
    ],
)
def test_signup_refuses_weak_passwords_next_to_the_field(client, password, message):
    response = signup(client, password=password)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in html
    assert 'id="password-error"' in html
    assert 'value="new@example.com"' in html  # what was typed stays
    assert db.session.scalar(db.select(User).where(User.email == "new@example.com")) is None


def test_signup_accepts_a_long_passphrase_with_any_characters(client):
    response = signup(client, password="Қорғас шекарасы 2026 🚂")
    assert response.status_code == 302


def answer(app, send, address: str) -> tuple[int, str, str]:
    """What a stranger sees: the status, where it leads, and the page there (the address they
    typed written as ADDRESS, so two answers can be compared)."""
    client = app.test_client()
    response = send(client)
    landing = client.get(response.location) if response.location else response
    return response.status_code, response.location, page(landing).replace(address, "ADDRESS")


def page(response) -> str:
    """The page without its CSRF tokens and request reference (each visit gets its own,
    whoever it is)."""
    text = re.sub(r'name="csrf_token" value="[^"]*"', "", response.get_data(as_text=True))
    return re.sub(r'<code class="request-id">[^<]*</code>', "", text)


def test_signup_answers_alike_for_a_known_address_and_mails_its_owner_a_way_in(
    app, investor, outbox
):
    investor.full_name = "Aigerim Sarsenova"
    db.session.commit()
    new = answer(app, lambda c: signup(c, email="stranger@example.com"), "stranger@example.com")
    known = answer(app, lambda c: signup(c, email=investor.email.upper()), investor.email)

    assert known == new
    assert new[:2] == (302, "/login")
    assert "Check your e-mail: we sent a link to ADDRESS" in new[2]
    assert "already exists" not in known[2]
    assert db.session.scalar(db.select(db.func.count(User.id))) == 2  # no second account
    notice = outbox.messages()[-1]
    assert notice["To"] == investor.email
    text = notice.get_body(("plain",)).get_content()
    assert "tried to create a Khorgos Gateway account" in text
    assert "Aigerim Sarsenova" in text
    # The owner's password still works; the link in the notice sets a new one, once.
    assert (
        app.test_client()
        .post("/login", data={"email": investor.email, "password": PASSWORD})
        .status_code
        == 302
    )
    path = outbox.last_link("/reset/").split("localhost", 1)[1]
    new_password = "a fresh start on the silk road"
    owner = app.test_client()
    assert (
        owner.post(
            path, data={"password": new_password, "password_confirm": new_password}
        ).status_code
        == 302
    )
    assert owner.get(path).status_code == 400
    assert (
        owner.post("/login", data={"email": investor.email, "password": new_password}).status_code
        == 302
    )


def test_signup_refuses_a_weak_password_or_a_bad_address_alike_for_a_known_address(
    client, investor, outbox
):
    known = signup(client, email=investor.email, password="password1234")
    unknown = signup(client, email="stranger@example.com", password="password1234")
    assert known.status_code == unknown.status_code == 200
    for response in (known, unknown):
        assert "too common" in response.get_data(as_text=True)
    assert outbox.messages() == []
    html = signup(client, email="not-an-address").get_data(as_text=True)
    assert 'id="email-error"' in html


def test_a_signup_that_loses_a_race_for_the_address_gets_the_same_answer(
    app, investor, monkeypatch
):
    # Another process created the account between this one's check and its insert.
    monkeypatch.setattr(accounts_service, "find_user_by_email", lambda email: None)
    lost = answer(app, lambda c: signup(c, email=investor.email), investor.email)
    monkeypatch.undo()
    new = answer(app, lambda c: signup(c, email="stranger@example.com"), "stranger@example.com")
    assert lost == new
    assert (
        db.session.scalar(db.select(db.func.count(User.id)).where(User.email == investor.email))
        == 1
    )


def test_signup_refuses_mismatched_passwords(client):
    html = signup(client, password_confirm="something else entirely").get_data(as_text=True)
    assert "The passwords differ." in html


def test_confirmation_link_confirms_the_email(client, outbox):
    signup(client)
    link = outbox.last_link("/confirm/")
    response = client.get(link.split("localhost", 1)[1])
    assert response.status_code == 302
    user = db.session.scalar(db.select(User).where(User.email == "new@example.com"))
    assert user.is_confirmed


def test_forged_confirmation_link_is_refused(client, outbox):
    signup(client)
    path = outbox.last_link("/confirm/").split("localhost", 1)[1]
    response = client.get(path[:-3] + "xyz")
    assert response.status_code == 400
    assert "not valid" in response.get_data(as_text=True)
    user = db.session.scalar(db.select(User).where(User.email == "new@example.com"))
    assert not user.is_confirmed


def test_expired_confirmation_link_is_refused(client, outbox):
    signup(client)
    path = outbox.last_link("/confirm/").split("localhost", 1)[1]
    with time_machine.travel(utcnow() + timedelta(hours=49)):
        response = client.get(path)
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)


def test_login_with_right_and_wrong_password(client, auth, investor):
    response = auth.login(investor, "wrong password here")
    assert response.status_code == 200
    assert "The e-mail or the password is not right." in response.get_data(as_text=True)
    assert auth.login(investor).status_code == 302
    assert client.get("/applications/").status_code == 200


def test_inactive_account_cannot_log_in(client, auth):
    user = UserFactory(active=False)
    assert auth.login(user).status_code == 200
    assert client.get("/applications/").status_code == 302


def test_login_starts_a_new_session(client, auth, investor):
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    auth.login(investor)
    with client.session_transaction() as session:
        assert "planted" not in session
        token = session["_user_id"]
    row = db.session.scalar(db.select(UserSession).where(UserSession.token == token))
    assert row.user_id == investor.id


def test_session_cookie_replayed_after_logout_is_useless(app, client, auth, investor):
    auth.login(investor)
    with client.session_transaction() as session:
        stolen = dict(session)
    auth.logout()
    assert client.get("/applications/").status_code == 302
    # Replay the old cookie in a fresh client.
    thief = app.test_client()
    with thief.session_transaction() as session:
        session.update(stolen)
    response = thief.get("/applications/")
    assert response.status_code == 302
    assert "/login" in response.location


def test_remember_me_cookie_is_revoked_by_logout(app, client, auth, investor):
    auth.login(investor, remember=True)
    remember = client.get_cookie("remember_token")
    assert remember is not None
    auth.logout()
    thief = app.test_client()
    thief.set_cookie("remember_token", remember.value)
    assert thief.get("/applications/").status_code == 302


def test_remember_me_keeps_a_live_session_across_browser_restarts(app, client, auth, investor):
    auth.login(investor, remember=True)
    remember = client.get_cookie("remember_token")
    restarted = app.test_client()
    restarted.set_cookie("remember_token", remember.value)
    assert restarted.get("/applications/").status_code == 200


def test_password_change_ends_the_other_sessions_but_not_this_one(app, auth, investor):
    laptop = app.test_client()
    phone = app.test_client()
    laptop.post("/login", data={"email": investor.email, "password": PASSWORD})
    phone.post("/login", data={"email": investor.email, "password": PASSWORD})
    response = laptop.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "password": "a brand new long phrase",
            "password_confirm": "a brand new long phrase",
        },
    )
    assert response.status_code == 302
    assert laptop.get("/applications/").status_code == 200
    assert phone.get("/applications/").status_code == 302


def test_sign_out_everywhere_else_ends_other_devices_and_remember_me_but_not_this_one(
    app, investor
):
    laptop, phone, tablet = app.test_client(), app.test_client(), app.test_client()
    laptop.post("/login", data={"email": investor.email, "password": PASSWORD})
    phone.post("/login", data={"email": investor.email, "password": PASSWORD})
    tablet.post("/login", data={"email": investor.email, "password": PASSWORD, "remember": "y"})
    remember = tablet.get_cookie("remember_token").value

    response = laptop.post("/account/sign-out-elsewhere", follow_redirects=True)

    assert "Signed out of 2 other sessions." in response.get_data(as_text=True)
    assert laptop.get("/applications/").status_code == 200
    assert phone.get("/applications/").status_code == 302
    restarted = app.test_client()
    restarted.set_cookie("remember_token", remember)
    assert restarted.get("/applications/").status_code == 302
    again = laptop.post("/account/sign-out-elsewhere", follow_redirects=True)
    assert "You were not signed in anywhere else." in again.get_data(as_text=True)


def test_password_change_needs_the_current_password(investor_client):
    response = investor_client.post(
        "/account/password",
        data={
            "current_password": "not it at all",
            "password": "a brand new long phrase",
            "password_confirm": "a brand new long phrase",
        },
    )
    assert "The current password is not right." in response.get_data(as_text=True)


def test_forgot_password_mails_a_single_use_link(app, client, investor, outbox):
    other_device = app.test_client()
    other_device.post("/login", data={"email": investor.email, "password": PASSWORD})
    response = client.post("/forgot", data={"email": investor.email}, buffered=False)
    assert response.status_code == 302
    assert outbox.messages() == []  # not while the answer is on its way ...
    response.close()  # ... but once it has gone
    path = outbox.last_link("/reset/").split("localhost", 1)[1]
    new = "the river flows east to Almaty"
    response = client.post(path, data={"password": new, "password_confirm": new})
    assert response.status_code == 302
    assert client.post("/login", data={"email": investor.email, "password": new}).status_code == 302
    # The other device's session ended with the reset.
    assert other_device.get("/applications/").status_code == 302
    # The link works once.
    again = client.get(path)
    assert again.status_code == 400
    assert "already been used" in again.get_data(as_text=True)


def test_forgot_password_does_not_reveal_whether_an_account_exists(client, investor, outbox):
    known = client.post("/forgot", data={"email": investor.email}, follow_redirects=True)
    unknown = client.post("/forgot", data={"email": "nobody@example.com"}, follow_redirects=True)
    assert "If an account exists" in known.get_data(as_text=True)
    assert "If an account exists" in unknown.get_data(as_text=True)
    assert len(outbox.messages()) == 1


def test_expired_and_forged_reset_links_are_refused(client, investor):
    token = accounts_service.make_reset_token(investor)
    assert client.get(f"/reset/{token}x").status_code == 400
    with time_machine.travel(utcnow() + timedelta(hours=2)):
        response = client.get(f"/reset/{token}")
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "target",
    [
        "https://elsewhere.example/",
        "//elsewhere.example/path",
        "http:elsewhere.example",
        "/\\elsewhere.example",
        "javascript:alert(1)",
    ],
)
def test_login_never_follows_next_off_this_site(client, investor, target):
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": investor.email, "password": PASSWORD},
    )
    assert response.status_code == 302
    assert "elsewhere" not in response.location
    assert response.location.startswith("/")


def test_login_follows_next_on_this_site(client, investor):
    response = client.post(
        "/login",
        query_string={"next": "/account"},
        data={"email": investor.email, "password": PASSWORD},
    )
    assert response.location == "/account"


def median_seconds(send, tries: int = 7) -> float:
    times = []
    for _ in range(tries):
        start = time.perf_counter()
        send()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def test_login_and_reset_take_as_long_for_an_unknown_address_as_for_a_known_one(
    app, client, investor, monkeypatch
):
    # A cost at which checking a password takes a noticeable time, as in production, and a
    # mail server that takes a while to answer, as they do.
    app.config.update(ARGON2_TIME_COST=2, ARGON2_MEMORY_COST=16 * 1024, MAIL_SERVER="smtp.test")
    monkeypatch.setattr(mail, "_send_smtp", lambda message: time.sleep(0.05))
    investor.password_hash = hash_password(PASSWORD)
    db.session.commit()

    # Timed as the visitor sees it: until the answer arrives (mail leaves after that).
    def login(email):
        return lambda: client.post(
            "/login", data={"email": email, "password": "a wrong guess"}, buffered=False
        )

    def forgot(email):
        return lambda: client.post("/forgot", data={"email": email}, buffered=False)

    for send in (login, forgot):
        send(investor.email)()  # warm up: the first of each kind pays for loading things
        send("nobody@example.com")()
        known = median_seconds(send(investor.email))
        unknown = median_seconds(send("nobody@example.com"))
        assert max(known, unknown) < 3 * min(known, unknown), (send.__name__, known, unknown)


def credential_stuffing(app, email: str, tries: int, path: str = "/login") -> list:
    """Attempts on one account, each from another client at another address."""
    responses = []
    for n in range(tries):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"198.51.100.{n + 1}"
        response = client.post(path, data={"email": email, "password": "a wrong guess"})
        response.close()  # the answer has gone: mail it caused leaves now
        responses.append(response)
    return responses


def test_a_guessed_account_is_throttled_whatever_the_address_and_its_owner_told_once(
    make_app, investor, outbox
):
    limited = make_app(RATELIMIT_ENABLED=True)
    known = credential_stuffing(limited, investor.email.upper(), 23)
    unknown = credential_stuffing(limited, "nobody@example.com", 21)

    assert [r.status_code for r in known] == [200] * 20 + [429] * 3
    assert [r.status_code for r in unknown] == [200] * 20 + [429]
    assert page(known[-1]) == page(unknown[-1])  # the same page either way
    (notice,) = outbox.messages()
    assert notice["To"] == investor.email
    text = notice.get_body(("plain",)).get_content()
    assert "Someone tried many wrong passwords" in text
    assert "198.51.100.21" in text  # where the guessing came from
    assert "/forgot" in text
    entries = db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.action == "login.throttled").order_by(AuditEntry.id)
    ).all()
    assert [(e.actor_id, e.target, e.ip_address) for e in entries] == [
        (investor.id, f"user #{investor.id} {investor.email}", "198.51.100.21"),
        (None, "nobody@example.com", "198.51.100.21"),
    ]


def test_reset_requests_are_throttled_per_account_alike_for_known_and_unknown(
    make_app, investor, outbox
):
    limited = make_app(RATELIMIT_ENABLED=True)
    known = credential_stuffing(limited, investor.email, 6, path="/forgot")
    unknown = credential_stuffing(limited, "nobody@example.com", 6, path="/forgot")
    assert [r.status_code for r in known] == [302] * 5 + [429]
    assert [r.status_code for r in unknown] == [302] * 5 + [429]
    assert page(known[-1]) == page(unknown[-1])
    assert len(outbox.messages()) == 5  # the owner's mailbox is not flooded
    throttled = db.session.scalars(
        db.select(AuditEntry.target).where(AuditEntry.action == "password.reset_throttled")
    ).all()
    assert sorted(throttled) == ["nobody@example.com", f"user #{investor.id} {investor.email}"]


def test_logins_are_throttled(make_app, investor):
    client = make_app(RATELIMIT_ENABLED=True).test_client()
    statuses = [
        client.post("/login", data={"email": investor.email, "password": "wrong guess"}).status_code
        for _ in range(12)
    ]
    assert statuses[:10] == [200] * 10
    assert statuses[-1] == 429


# --- the account's details ------------------------------------------------------------------


def test_the_investor_renames_themselves(investor_client, investor):
    response = investor_client.post(
        "/account/details", data={"which": "name", "name-full_name": "  Aruzhan Bekova "}
    )
    assert response.status_code == 302
    assert "Aruzhan Bekova" in investor_client.get("/account").get_data(as_text=True)
    empty = investor_client.post("/account/details", data={"which": "name", "name-full_name": ""})
    assert empty.status_code == 422
    assert 'id="name-full_name-error"' in empty.get_data(as_text=True)


def change_email(client, new_email, password=PASSWORD):
    return client.post(
        "/account/details",
        data={"which": "email", "email-new_email": new_email, "email-current_password": password},
    )


@pytest.mark.parametrize(
    ("new_email", "password", "message"),
    [
        ("new@example.com", "not the password", "The current password is not right."),
        ("not-an-address", PASSWORD, "Enter a valid e-mail address."),
        ("{own}", PASSWORD, "This is already your e-mail address."),
    ],
)
def test_an_e_mail_change_is_refused_next_to_the_field(
    investor_client, investor, outbox, new_email, password, message
):
    UserFactory(email="taken@example.com")
    response = change_email(investor_client, new_email.format(own=investor.email), password)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert outbox.messages() == []
    db.session.refresh(investor)
    assert investor.email != "new@example.com"


def test_an_e_mail_change_to_a_taken_address_is_answered_alike_and_its_owner_told(
    investor_client, investor, outbox
):
    owner = UserFactory(email="taken@example.com")
    free = change_email(investor_client, "free@example.com")
    taken = change_email(investor_client, "TAKEN@example.com")
    assert free.status_code == taken.status_code == 302
    assert free.location == taken.location
    html = investor_client.get(taken.location).get_data(as_text=True)
    assert "We sent a link to taken@example.com." in html
    notice = outbox.messages()[-1]
    assert notice["To"] == "taken@example.com"
    text = notice.get_body(("plain",)).get_content()
    assert "Your account already uses it, so nothing was changed." in text
    assert "/account/email/" not in text  # no link that could move the address
    db.session.refresh(owner)
    assert owner.email == "taken@example.com"


def test_the_e_mail_changes_only_when_the_new_address_opens_the_link(
    app, investor_client, investor, outbox
):
    old = investor.email
    response = change_email(investor_client, "New.Address@Example.com")
    assert response.status_code == 302
    (message,) = outbox.messages()
    assert message["To"] == "new.address@example.com"
    db.session.refresh(investor)
    assert investor.email == old  # not before the link is opened
    path = outbox.last_link("/account/email/").split("localhost", 1)[1]

    opened = app.test_client().get(path)  # from the new mailbox, signed in or not

    assert opened.status_code == 302
    db.session.refresh(investor)
    assert investor.email == "new.address@example.com"
    assert investor.is_confirmed
    notice = outbox.messages()[-1]
    assert notice["To"] == old
    assert "new.address@example.com" in notice.get_body(("plain",)).get_content()
    fresh = app.test_client()
    assert fresh.post("/login", data={"email": old, "password": PASSWORD}).status_code != 302
    assert (
        fresh.post(
            "/login", data={"email": "new.address@example.com", "password": PASSWORD}
        ).status_code
        == 302
    )
    assert app.test_client().get(path).status_code == 400  # the link works once


def test_an_e_mail_change_link_is_signed_and_expires(app, investor_client, outbox):
    change_email(investor_client, "later@example.com")
    path = outbox.last_link("/account/email/").split("localhost", 1)[1]
    assert app.test_client().get(path + "x").status_code == 400
    with time_machine.travel(utcnow() + timedelta(hours=49)):
        late = app.test_client().get(path)
    assert late.status_code == 400
    assert "expired" in late.get_data(as_text=True)


def test_account_details_need_a_signed_in_user(client):
    assert client.get("/account/details").status_code == 302


def test_login_upgrades_a_hash_made_at_an_older_cost_and_keeps_the_sessions(app, investor):
    old_hash = investor.password_hash
    changed_at = investor.password_changed_at
    assert "m=64,t=1" in old_hash
    phone = app.test_client()
    phone.post("/login", data={"email": investor.email, "password": PASSWORD})
    app.config.update(ARGON2_TIME_COST=2, ARGON2_MEMORY_COST=128)

    wrong = app.test_client().post("/login", data={"email": investor.email, "password": "nope"})
    assert wrong.status_code == 200
    db.session.refresh(investor)
    assert investor.password_hash == old_hash  # only a right password is rehashed

    laptop = app.test_client()
    response = laptop.post("/login", data={"email": investor.email, "password": PASSWORD})

    assert response.status_code == 302
    db.session.refresh(investor)
    assert investor.password_hash != old_hash
    assert investor.password_hash.startswith("$argon2id$")
    assert "m=128,t=2" in investor.password_hash
    assert investor.password_changed_at == changed_at
    assert phone.get("/applications/").status_code == 200  # no session was ended
    again = app.test_client().post("/login", data={"email": investor.email, "password": PASSWORD})
    assert again.status_code == 302
    db.session.refresh(investor)
    assert "m=128,t=2" in investor.password_hash


# --- security events in the audit log --------------------------------------------------------


@pytest.fixture
def visitor(app):
    """A client at a known address (behind no proxy, the socket's)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ADDRESS
    return client


def audited(*actions: str) -> list[tuple]:
    entries = db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.action.in_(actions)).order_by(AuditEntry.id)
    )
    return [(e.action, e.actor_id, e.target, e.details, e.ip_address) for e in entries]


def test_sign_ins_and_failed_ones_are_in_the_audit_log_with_the_client_address(visitor, investor):
    target = f"user #{investor.id} {investor.email}"
    inactive = UserFactory(active=False)
    for email, password in [
        (investor.email, "a wrong guess"),
        ("Nobody@Example.com", "a wrong guess"),
        (PASSWORD, PASSWORD),  # the password typed into the address field
        (inactive.email, PASSWORD),
        (investor.email, PASSWORD),
    ]:
        visitor.post("/login", data={"email": email, "password": password})

    assert audited("login.failure", "login.success") == [
        ("login.failure", investor.id, target, "wrong password", ADDRESS),
        ("login.failure", None, "nobody@example.com", "no such account", ADDRESS),
        ("login.failure", None, "—", "no such account", ADDRESS),
        (
            "login.failure",
            inactive.id,
            f"user #{inactive.id} {inactive.email}",
            "account deactivated",
            ADDRESS,
        ),
        ("login.success", investor.id, target, "", ADDRESS),
    ]
    logged = db.session.scalars(db.select(AuditEntry.target + AuditEntry.details)).all()
    assert not any(PASSWORD in text or "wrong guess" in text for text in logged)
    session_row = db.session.scalars(
        db.select(UserSession).where(UserSession.user_id == investor.id)
    ).one()
    assert session_row.ip_address == ADDRESS


def test_account_changes_are_in_the_audit_log_with_the_client_address(
    app, visitor, investor, outbox
):
    old_email = investor.email
    target = f"user #{investor.id} {old_email}"
    app.test_client().post("/login", data={"email": old_email, "password": PASSWORD})
    visitor.post("/login", data={"email": investor.email, "password": PASSWORD})
    visitor.post("/account/sign-out-elsewhere")
    new = "a brand new long phrase"
    visitor.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": new, "password_confirm": new},
    )
    change_email(visitor, "moved@example.com", password=new)
    visitor.get(outbox.last_link("/account/email/").split("localhost", 1)[1])
    moved = f"user #{investor.id} moved@example.com"
    visitor.post("/logout")
    visitor.post("/forgot", data={"email": "moved@example.com"}).close()
    visitor.post("/forgot", data={"email": "nobody@example.com"}).close()
    path = outbox.last_link("/reset/").split("localhost", 1)[1]
    visitor.post(path, data={"password": PASSWORD, "password_confirm": PASSWORD})

    actions = (
        "session.revoke",
        "password.change",
        "email.change",
        "logout",
        "password.reset_request",
        "password.reset",
    )
    assert audited(*actions) == [
        ("session.revoke", investor.id, target, "sessions ended: 1", ADDRESS),
        ("password.change", investor.id, target, "", ADDRESS),
        (
            "email.change",
            investor.id,
            moved,
            f'email: "{old_email}" → "moved@example.com"',
            ADDRESS,
        ),
        ("logout", investor.id, moved, "", ADDRESS),
        ("password.reset_request", investor.id, moved, "", ADDRESS),
        ("password.reset_request", None, "nobody@example.com", "", ADDRESS),
        ("password.reset", investor.id, moved, "", ADDRESS),
    ]
