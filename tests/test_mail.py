"""Outgoing mail goes through the outbox and is retried until sent."""

from __future__ import annotations

import smtplib
import socket
from datetime import UTC, datetime, timedelta

import pytest

from portal.extensions import db
from portal.models import AuditEntry, OutgoingEmail
from portal.models.base import utcnow
from portal.services import applications, mail, review
from tests.factories import UserFactory, complete_application


def test_a_failed_send_stays_in_the_outbox_and_is_retried(app, monkeypatch, investor):
    app.config["MAIL_SERVER"] = "smtp.invalid"
    calls = []

    def failing(msg):
        calls.append(msg)
        raise smtplib.SMTPServerDisconnected("down")

    monkeypatch.setattr(mail, "_send_smtp", failing)
    with app.test_request_context():
        mail.queue_email(investor.email, "Hello", "confirm", user=investor, link="http://x/")
    db.session.commit()
    assert mail.deliver_pending() == (0, 1)
    message = db.session.scalars(db.select(OutgoingEmail)).one()
    assert message.sent_at is None
    assert message.attempts == 1
    assert "down" in message.last_error
    # Due again later; once SMTP answers, it is sent.
    monkeypatch.setattr(mail, "_send_smtp", lambda msg: None)
    message.next_attempt_at = message.created_at
    db.session.commit()
    assert mail.deliver_pending() == (1, 0)
    assert message.sent_at is not None


def test_each_message_is_an_eml_file_in_the_outbox(app, client, outbox):
    client.post("/forgot", data={"email": "nobody@example.com"})
    assert outbox.messages() == []
    client.post(
        "/signup",
        data={
            "full_name": "A",
            "email": "a@example.com",
            "password": "one long phrase here",
            "password_confirm": "one long phrase here",
        },
    )
    messages = outbox.messages()
    assert len(messages) == 1
    assert messages[0]["Subject"].startswith("Confirm your e-mail")


# --- retries, dead letters, and whose mail a request sends -----------------------------------

CLOSED_PORT = 1  # nothing listens on 127.0.0.1:1: the connection is refused at once


@pytest.fixture
def hanging_smtp():
    """A mail server that takes the connection and never says a word."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield server.getsockname()[1]


def use_smtp(app, port: int, **config) -> None:
    app.config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=port,
        MAIL_USE_TLS=False,
        MAIL_TIMEOUT_SECONDS=0.2,
        **config,
    )


def queue(app, recipient: str) -> OutgoingEmail:
    with app.test_request_context():
        message = mail.queue_email(recipient, "Hello", "confirm", user=None, link="http://x/")
    db.session.commit()
    return message


def signup(client, email: str = "a@example.com", **kwargs):
    phrase = "one long phrase here"
    data = {"full_name": "A", "email": email, "password": phrase, "password_confirm": phrase}
    return client.post("/signup", data=data, **kwargs)


def test_retries_of_a_hanging_mail_server_back_off_then_the_message_waits_for_an_admin(
    app, hanging_smtp, time_machine
):
    time_machine.move_to(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False)
    use_smtp(app, hanging_smtp, MAIL_MAX_ATTEMPTS=4)
    message = queue(app, "investor@example.com")
    waits = []
    for _ in range(3):
        assert mail.deliver_pending() == (0, 1)
        waits.append(message.next_attempt_at - utcnow())
        assert mail.deliver_pending() == (0, 0)  # not due again yet
        time_machine.move_to(message.next_attempt_at)
    assert waits == [timedelta(minutes=2), timedelta(minutes=4), timedelta(minutes=8)]
    assert "timed out" in message.last_error

    assert mail.deliver_pending() == (0, 1)  # the last attempt
    assert message.attempts == 4
    assert message.dead_at is not None
    time_machine.move_to(utcnow() + timedelta(days=2))
    assert mail.deliver_pending() == (0, 0)  # no longer tried ...
    assert db.session.get(OutgoingEmail, message.id).sent_at is None  # ... and not lost


def test_a_request_sends_only_its_own_mail_and_only_once_its_answer_has_gone(app, client, outbox):
    backlog = [queue(app, f"someone{n}@example.com") for n in range(3)]

    response = signup(client, buffered=False)
    assert response.status_code == 302
    assert outbox.messages() == []  # nothing is sent while the answer is on its way
    response.close()

    assert [m["To"] for m in outbox.messages()] == ["a@example.com"]
    for message in backlog:  # the backlog is the worker's, or `flask outbox deliver`'s
        db.session.refresh(message)
        assert (message.sent_at, message.attempts) == (None, 0)
    assert mail.deliver_pending() == (3, 0)


def test_an_approval_is_answered_before_a_hanging_mail_server_is_tried_and_keeps_its_e_mail(
    app, client, auth, reviewer, hanging_smtp
):
    application = complete_application()
    applications.submit(application, application.owner)
    review.take(application, reviewer)
    db.session.execute(db.delete(OutgoingEmail))
    db.session.commit()
    use_smtp(app, hanging_smtp)
    auth.login(reviewer)

    response = client.post(f"/review/applications/{application.id}/approve", buffered=False)
    assert response.status_code == 302
    decision = db.session.scalars(db.select(OutgoingEmail)).one()
    assert decision.attempts == 0  # the reviewer had the answer before any mail was tried
    response.close()

    db.session.refresh(decision)
    assert decision.attempts == 1
    assert "timed out" in decision.last_error
    assert decision.sent_at is None and decision.dead_at is None  # waiting for its next try


def dead_letter(app, recipient: str = "investor@example.com") -> OutgoingEmail:
    use_smtp(app, CLOSED_PORT, MAIL_MAX_ATTEMPTS=1)
    message = queue(app, recipient)
    assert mail.deliver_pending() == (0, 1)
    assert message.dead_at is not None
    return message


def test_admins_see_a_dead_letter_with_its_error_and_send_it_again(
    app, client, auth, admin, outbox
):
    message = dead_letter(app)
    auth.login(admin)

    page = client.get("/admin/mail").get_data(as_text=True)
    assert "investor@example.com" in page
    assert "ConnectionRefusedError" in page

    app.config["MAIL_SERVER"] = ""  # the mail server is mended (here: .eml files only)
    response = client.post(f"/admin/mail/{message.id}/retry", follow_redirects=True)
    assert "is being sent again" in response.get_data(as_text=True)
    db.session.refresh(message)
    assert message.sent_at is not None
    assert [m["To"] for m in outbox.messages()] == ["investor@example.com"]
    entry = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "mail.retry")).one()
    assert entry.actor_id == admin.id
    assert f"#{message.id}" in entry.target
    assert "ConnectionRefusedError" in entry.details
    assert "No e-mail is waiting for an admin" in client.get("/admin/mail").get_data(as_text=True)


def test_admins_send_every_dead_letter_again_at_once(app, client, auth, admin, outbox):
    for n in range(3):
        dead_letter(app, f"someone{n}@example.com")
    auth.login(admin)
    app.config["MAIL_SERVER"] = ""

    response = client.post("/admin/mail/retry-all", follow_redirects=True)

    assert "3 e-mails are being sent again." in response.get_data(as_text=True)
    assert len(outbox.messages()) == 3


@pytest.mark.parametrize("role", ["investor", "reviewer"])
def test_only_admins_see_undelivered_mail(app, client, auth, role):
    message = dead_letter(app)
    auth.login(UserFactory(role=role))
    assert client.get("/admin/mail").status_code == 403
    assert client.post(f"/admin/mail/{message.id}/retry").status_code == 403
    db.session.refresh(message)
    assert message.dead_at is not None
