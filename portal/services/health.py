"""Health of what the portal depends on, for load balancers (/healthz) and operators (/readyz)."""

from __future__ import annotations

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db, redis_connection
from portal.services.mail import QUEUE, outbox_state


def check_database() -> None:
    """Raise if the database does not answer."""
    db.session.execute(db.text("SELECT 1"))


def _database() -> dict:
    try:
        check_database()
    except SQLAlchemyError as exc:
        db.session.rollback()
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True}


def _redis() -> tuple[dict, object | None]:
    connection = redis_connection()
    if connection is None:
        return {"ok": True, "configured": False}, None
    try:
        connection.ping()
    except (RedisError, OSError) as exc:
        return {"ok": False, "configured": True, "error": type(exc).__name__}, None
    return {"ok": True, "configured": True}, connection


def _workers(connection) -> int | None:
    """RQ workers listening on the mail queue (None when it cannot be known)."""
    from rq import Queue, Worker

    try:
        return Worker.count(connection=connection, queue=Queue(QUEUE, connection=connection))
    except (RedisError, OSError):
        return None


def _mail(connection) -> dict:
    """The outbox, and whether something that should be delivering it seems to be missing:
    under MAIL_DELIVERY=rq no worker on the queue, in any mode mail overdue by more than
    MAIL_STALE_SECONDS (retries and Redis's misses are left to the worker or cron)."""
    cfg = current_app.config
    state = outbox_state()
    overdue = (state.oldest_due_seconds or 0) > cfg["MAIL_STALE_SECONDS"]
    mode = cfg["MAIL_DELIVERY"]
    workers = _workers(connection) if mode == "rq" and connection is not None else None
    worker_absent = overdue or workers == 0
    return {
        "ok": not worker_absent,
        "delivery": mode,
        "waiting": state.waiting,
        "due": state.due,
        "dead_letters": state.dead,
        "oldest_waiting_seconds": state.oldest_waiting_seconds,
        "oldest_due_seconds": state.oldest_due_seconds,
        "workers": workers,
        "worker_needed": mode != "inline" or state.due > 0,
        "worker_absent": worker_absent,
    }


def readiness() -> tuple[bool, dict]:
    """Whether everything the portal relies on answers, and the figures behind it: the
    database, Redis (when configured) and mail delivery. Counts and names only, no addresses
    or messages (the answer is public)."""
    checks: dict = {"database": _database()}
    checks["redis"], connection = _redis()
    if checks["database"]["ok"]:
        try:
            checks["mail"] = _mail(connection)
        except SQLAlchemyError as exc:
            db.session.rollback()
            checks["mail"] = {"ok": False, "error": type(exc).__name__}
    else:
        checks["mail"] = {"ok": False, "error": "database unavailable"}
    ready = all(check["ok"] for check in checks.values())
    return ready, {"status": "ok" if ready else "unavailable", **checks}
