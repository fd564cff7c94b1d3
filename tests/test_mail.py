"""Outgoing mail goes through the outbox and is retried until sent."""

from __future__ import annotations

import smtplib

from portal.extensions import db
from portal.models import OutgoingEmail
from portal.services import mail


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
