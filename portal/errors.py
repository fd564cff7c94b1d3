"""Error pages for every status, in the site's layout."""

from __future__ import annotations

import contextlib
import logging

from flask import Flask, g, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from portal.extensions import db, login_manager

log = logging.getLogger(__name__)

# The database is away (down, restarting, unreachable, or every connection busy): a 503 that
# asks to come back, never a stack trace. Pre-ping then replaces the dead connections by itself.
DATABASE_AWAY = (OperationalError, InterfaceError, PoolTimeout)
RETRY_AFTER_SECONDS = 30

MESSAGES = {
    400: _l("The request could not be understood. Go back and try again."),
    403: _l("You do not have access to this page."),
    404: _l("We could not find this page."),
    405: _l("This page cannot be used that way."),
    413: _l("The upload is too large."),
    422: _l("Some of what was sent is not valid."),
    429: _l("Too many attempts. Wait a little and try again."),
    500: _l("Something went wrong on our side. The team has been told; please try again."),
    503: _l(
        "The portal is briefly unavailable. Nothing was saved halfway: please try again in a "
        "minute."
    ),
}


def _rollback() -> None:
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection may be as dead as the database
        log.warning("rolling back after a database error failed", exc_info=True)


def register_error_pages(app: Flask) -> None:
    def page(code: int, message, *headers):
        """An error page; drawing it asks who is signed in, which needs the database: if that
        is away, the database's 503 page instead (else the visitor would get a bare 500)."""
        try:
            return render_template("errors/error.html", code=code, message=message), code, *headers
        except DATABASE_AWAY as error:
            return database_away(error)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        message = _l("Your form had expired. Go back, reload the page and send it again.")
        return page(400, message)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = error.code or 500
        message = MESSAGES.get(code, error.description)
        return page(code, message, RETRY_AFTER) if code == 503 else page(code, message)

    @app.errorhandler(500)
    def server_error(error):
        _rollback()
        return page(500, MESSAGES[500])

    @app.teardown_appcontext
    def close_session_even_on_a_dead_connection(_exc):
        """Runs before Flask-SQLAlchemy's own teardown (registered earlier), whose rollback of a
        connection the database dropped would raise after the answer is made: the server would
        then send its own bare 500 instead. The connection is invalidated instead; the pool
        replaces it (pre-ping)."""
        try:
            db.session.remove()
        except DATABASE_AWAY:
            log.warning("closing the session on a dropped connection failed", exc_info=True)
            with contextlib.suppress(*DATABASE_AWAY):
                db.session().invalidate()
            db.session.registry.clear()  # this request's session is done with, whatever it holds

    def database_away(error):
        cause = getattr(error, "orig", None) or error
        log.error("the database is unavailable: %s: %s", type(cause).__name__, str(cause)[:300])
        _rollback()
        # Drawn as a visitor's page: the signed-in user cannot be loaded without the database.
        g._login_user = login_manager.anonymous_user()
        return (
            render_template("errors/error.html", code=503, message=MESSAGES[503]),
            503,
            RETRY_AFTER,
        )

    for exception in DATABASE_AWAY:
        app.register_error_handler(exception, database_away)


RETRY_AFTER = {"Retry-After": str(RETRY_AFTER_SECONDS)}
