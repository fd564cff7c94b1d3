"""Outgoing e-mail through an outbox table.

A message is written in the same transaction as what caused it, so it is never lost; it is
delivered after the commit (inline in development, by an RQ worker when Redis is configured, or by
`flask outbox deliver` from cron) and retried until it is sent.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app, render_template

from portal.extensions import db
from portal.models import OutgoingEmail
from portal.models.base import utcnow

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=1)


def queue_email(recipient: str, subject: str, template: str, **context) -> OutgoingEmail:
    """Add a message to the outbox in the current transaction (the caller commits)."""
    body = render_template(f"email/{template}.txt", **context)
    message = OutgoingEmail(recipient=recipient, subject=subject, body=body)
    db.session.add(message)
    return message


def _build(message: OutgoingEmail) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    msg["To"] = message.recipient
    msg["Subject"] = message.subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="khorgos-gateway.local")
    msg.set_content(message.body)
    return msg


def _write_eml(message: OutgoingEmail, msg: EmailMessage) -> None:
    outbox = Path(current_app.config["MAIL_OUTBOX_DIR"])
    outbox.mkdir(parents=True, exist_ok=True)
    stamp = message.created_at.strftime("%Y%m%d-%H%M%S")
    (outbox / f"{stamp}-{message.id:06d}.eml").write_bytes(bytes(msg))


def _send_smtp(msg: EmailMessage) -> None:
    cfg = current_app.config
    smtp_class = smtplib.SMTP_SSL if cfg["MAIL_USE_SSL"] else smtplib.SMTP
    with smtp_class(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=20) as smtp:
        if cfg["MAIL_USE_TLS"] and not cfg["MAIL_USE_SSL"]:
            smtp.starttls()
        if cfg["MAIL_USERNAME"]:
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
        smtp.send_message(msg)


def deliver(message: OutgoingEmail) -> bool:
    """Try to send one message; on failure schedule the next attempt with a growing delay."""
    msg = _build(message)
    message.attempts += 1
    try:
        if current_app.config["MAIL_OUTBOX_DIR"]:
            _write_eml(message, msg)
        if current_app.config["MAIL_SERVER"]:
            _send_smtp(msg)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("sending mail %s failed: %s", message.id, exc)
        message.last_error = str(exc)[:2000]
        delay = min(timedelta(minutes=2 ** min(message.attempts, 10)), MAX_BACKOFF)
        message.next_attempt_at = utcnow() + delay
        return False
    message.sent_at = utcnow()
    message.last_error = ""
    return True


def deliver_pending(limit: int = 100) -> tuple[int, int]:
    """Send what is due. Rows are locked (skipped when another worker holds them)."""
    stmt = (
        db.select(OutgoingEmail)
        .where(OutgoingEmail.sent_at.is_(None), OutgoingEmail.next_attempt_at <= utcnow())
        .order_by(OutgoingEmail.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    sent = failed = 0
    for message in db.session.scalars(stmt).all():
        if deliver(message):
            sent += 1
        else:
            failed += 1
    db.session.commit()
    return sent, failed


def _rq_job() -> None:
    from portal import create_app

    with create_app().app_context():
        deliver_pending()


def after_commit_delivery() -> None:
    """Called by views after they commit something that queued mail."""
    mode = current_app.config["MAIL_DELIVERY"]
    if mode == "inline":
        deliver_pending()
    elif mode == "rq":
        try:
            from redis import Redis
            from rq import Queue

            Queue("mail", connection=Redis.from_url(current_app.config["REDIS_URL"])).enqueue(
                _rq_job
            )
        except Exception:  # noqa: BLE001 - cron's `flask outbox deliver` picks it up
            log.exception("could not enqueue mail delivery; it stays in the outbox")
