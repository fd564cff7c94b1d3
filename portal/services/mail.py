"""Outgoing e-mail through an outbox table.

A message is written in the same transaction as what caused it, so it is never lost. A request
hands only its own messages to delivery, once its answer has gone (MAIL_DELIVERY=inline), to the
RQ worker (rq), or to nobody (cron); the backlog (retries, messages a dead Redis kept from the
worker) belongs to the worker and to `flask outbox deliver`. A failed message is tried again
after a growing delay; after MAIL_MAX_ATTEMPTS it becomes a dead letter, listed for admins, who
may send it again.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import after_this_request, current_app, g, has_request_context, render_template
from redis.exceptions import RedisError
from sqlalchemy import case, func, inspect

from portal.extensions import db, redis_connection
from portal.models import OutgoingEmail, User
from portal.models.base import utcnow
from portal.services import audit

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=1)
QUEUE = "mail"  # the RQ queue `make worker` listens on


def queue_email(recipient: str, subject: str, template: str, **context) -> OutgoingEmail:
    """Add a message to the outbox in the current transaction (the caller commits)."""
    body = render_template(f"email/{template}.txt", **context)
    message = OutgoingEmail(recipient=recipient, subject=subject, body=body)
    db.session.add(message)
    _own_messages().append(message)
    return message


def _own_messages() -> list[OutgoingEmail]:
    """The messages this request (or command) queued and has not yet handed to delivery."""
    return g.setdefault("mail_queued", [])


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
    timeout = cfg["MAIL_TIMEOUT_SECONDS"]
    with smtp_class(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=timeout) as smtp:
        if cfg["MAIL_USE_TLS"] and not cfg["MAIL_USE_SSL"]:
            smtp.starttls()
        if cfg["MAIL_USERNAME"]:
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
        smtp.send_message(msg)


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failure: MAIL_RETRY_SECONDS, doubled each time,
    at most an hour (2, 4, 8, 16, 32, 60, 60 ... minutes by default)."""
    base = current_app.config["MAIL_RETRY_SECONDS"]
    return min(timedelta(seconds=base * 2 ** min(attempts - 1, 20)), MAX_BACKOFF)


def deliver(message: OutgoingEmail) -> bool:
    """Try to send one message; on failure note why and when to try again, or, after the last
    attempt, make it a dead letter. Never raises: one bad message must not stop the queue."""
    now = utcnow()
    message.attempts += 1
    message.last_attempt_at = now
    try:
        msg = _build(message)
        if current_app.config["MAIL_OUTBOX_DIR"]:
            _write_eml(message, msg)
        if current_app.config["MAIL_SERVER"]:
            _send_smtp(msg)
    except Exception as exc:  # noqa: BLE001 - SMTP, network, or a message that cannot be built
        message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if message.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
            message.dead_at = now
            log.error(
                "mail %s is a dead letter after %d attempts: %s",
                message.id,
                message.attempts,
                message.last_error,
            )
        else:
            message.next_attempt_at = now + retry_delay(message.attempts)
            log.warning(
                "sending mail %s failed (attempt %d), next at %s: %s",
                message.id,
                message.attempts,
                message.next_attempt_at.isoformat(timespec="seconds"),
                message.last_error,
            )
        return False
    message.sent_at = now
    message.last_error = ""
    return True


def _waiting():
    """Messages neither sent nor dead."""
    return db.select(OutgoingEmail).where(
        OutgoingEmail.sent_at.is_(None), OutgoingEmail.dead_at.is_(None)
    )


def _deliver_due(ids: list[int] | None, limit: int) -> tuple[int, int]:
    """Send due messages one at a time, each locked while it is tried (a row another worker
    holds is skipped) and committed at once, so a crash re-sends at most one message."""
    sent = failed = 0
    for _ in range(limit):
        stmt = _waiting().where(OutgoingEmail.next_attempt_at <= utcnow())
        if ids is not None:
            stmt = stmt.where(OutgoingEmail.id.in_(ids))
        stmt = stmt.order_by(OutgoingEmail.id).limit(1).with_for_update(skip_locked=True)
        message = db.session.scalars(stmt).first()
        if message is None:
            break
        if deliver(message):
            sent += 1
        else:
            failed += 1
        db.session.commit()
    return sent, failed


def deliver_pending(limit: int = 100) -> tuple[int, int]:
    """Send the backlog that is due (the worker's and cron's job): (sent, failed)."""
    return _deliver_due(None, limit)


def deliver_messages(ids: list[int]) -> tuple[int, int]:
    """Send these messages (a request's own), if they are still waiting."""
    return _deliver_due(ids, len(ids)) if ids else (0, 0)


_worker_app = []


def _rq_job() -> None:
    """The worker's job: everything due, its trigger's messages and any backlog alike."""
    if not _worker_app:
        from portal import create_app

        _worker_app.append(create_app())
    with _worker_app[0].app_context():
        deliver_pending()


def _enqueue() -> bool:
    """Wake the worker; False when Redis is away (the mail waits in the outbox)."""
    from rq import Queue

    try:
        Queue(QUEUE, connection=redis_connection()).enqueue(_rq_job)
    except (RedisError, OSError) as exc:
        log.warning(
            "Redis is away (%s): queued mail waits in the outbox for the worker's next job or "
            "`flask outbox deliver`",
            type(exc).__name__,
        )
        return False
    return True


def _hand_over(mode: str, ids: list[int]) -> None:
    if mode == "inline":
        deliver_messages(ids)
    elif mode == "rq":
        _enqueue()


def after_commit_delivery() -> None:
    """Called after a commit that queued mail: hands this request's own messages (never anyone
    else's) to delivery once the answer has gone, so neither a slow mail server nor Redis holds
    the request up. Outside a request (the CLI, the demo) it does so at once."""
    queued = _own_messages()
    ids = [state.identity[0] for state in map(inspect, queued) if state.persistent]
    queued.clear()
    mode = current_app.config["MAIL_DELIVERY"]
    if not ids or mode not in ("inline", "rq"):
        return
    if not has_request_context():
        _hand_over(mode, ids)
        return
    app = current_app._get_current_object()

    def after_the_answer() -> None:
        with app.app_context():
            try:
                _hand_over(mode, ids)
            except Exception:  # noqa: BLE001 - the answer has gone; the outbox keeps the mail
                log.exception("delivering mail %s after the response failed", ids)

    @after_this_request
    def deliver_once_answered(response):
        response.call_on_close(after_the_answer)
        return response


# --- what operators and admins see -------------------------------------------------------------


@dataclass(frozen=True)
class OutboxState:
    waiting: int  # neither sent nor dead
    due: int  # waiting, and due now
    dead: int  # dead letters
    oldest_waiting_seconds: float | None  # since the oldest waiting message was queued
    oldest_due_seconds: float | None  # since the most overdue message was due

    @property
    def oldest_waiting(self) -> timedelta | None:
        if self.oldest_waiting_seconds is None:
            return None
        return timedelta(seconds=self.oldest_waiting_seconds)


def outbox_state() -> OutboxState:
    """The outbox in one query over the unsent rows (an index keeps it small)."""
    now = utcnow()
    waiting = OutgoingEmail.dead_at.is_(None)
    due = waiting & (OutgoingEmail.next_attempt_at <= now)
    row = db.session.execute(
        db.select(
            func.count(case((waiting, 1))),
            func.count(case((due, 1))),
            func.count(OutgoingEmail.dead_at),
            func.min(case((waiting, OutgoingEmail.created_at))),
            func.min(case((due, OutgoingEmail.next_attempt_at))),
        ).where(OutgoingEmail.sent_at.is_(None))
    ).one()

    def age(since: datetime | None) -> float | None:
        return max((now - since).total_seconds(), 0.0) if since else None

    return OutboxState(row[0], row[1], row[2], age(row[3]), age(row[4]))


def dead_letters(page: int, per_page: int):
    """Dead letters, the latest first, for the admins' page."""
    stmt = (
        db.select(OutgoingEmail)
        .where(OutgoingEmail.dead_at.is_not(None), OutgoingEmail.sent_at.is_(None))
        .order_by(OutgoingEmail.dead_at.desc(), OutgoingEmail.id.desc())
    )
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def retry_dead_letter(message: OutgoingEmail, actor: User) -> bool:
    """Give a dead letter a fresh set of attempts, due now (the caller commits and calls
    `after_commit_delivery`). False when it is not a dead letter (sent, or already retried)."""
    if message.dead_at is None or message.sent_at is not None:
        return False
    message.dead_at = None
    message.attempts = 0
    message.next_attempt_at = utcnow()
    audit.record(
        actor,
        "mail.retry",
        f"e-mail #{message.id} to {message.recipient}",
        details=message.last_error[:500],
    )
    _own_messages().append(message)
    return True


def retry_all_dead_letters(actor: User) -> int:
    """Retry every dead letter (after the mail server was mended); how many."""
    stmt = db.select(OutgoingEmail).where(
        OutgoingEmail.dead_at.is_not(None), OutgoingEmail.sent_at.is_(None)
    )
    return sum(retry_dead_letter(message, actor) for message in db.session.scalars(stmt))
