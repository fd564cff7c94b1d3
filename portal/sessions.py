"""The signed-in session on each request: Flask-Login's user loader, and the hook that notes the
user's activity or ends a session that outlived its idle timeout or lifetime (ASVS 3.3.2).

The limits themselves live in `services/accounts.py`; this is where they meet the request.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, g, redirect, request, url_for
from flask_babel import ngettext
from flask_login import current_user, logout_user

from portal.extensions import db
from portal.services import accounts
from portal.urls import safe_next

# Requests that are not the user's activity: files, the health and readiness checks, metrics,
# and the page asking how long is left (a script asking must not keep a session alive).
NOT_ACTIVITY = {"static", "main.health", "main.ready", "main.metrics_page", "auth.session_status"}
# The API (portal/api/) answers by Accept-Language and tokens alone: a call from a signed-in
# browser is not the user's activity there, and never ends or notes a session.
API_PREFIX = "/api/v1/"
# Sent by the page's script when it saves a draft by itself just before the end: not activity.
AUTOSAVE_HEADER = "X-Autosave"


def load_user(token: str):
    """The user of a live session; a refused token is kept for `keep_within_limits` to explain."""
    user = accounts.load_session_user(token)
    if user is None:
        g.refused_session_token = token
    return user


def keep_within_limits():
    """Note the signed-in user's activity (at most once a minute), or end the session that
    outlived a limit and send its user to sign in again, told why, with a way back."""
    if request.endpoint in NOT_ACTIVITY or request.path.startswith(API_PREFIX):
        return None
    if current_user.is_authenticated and current_user.current_session is not None:
        if (
            request.endpoint != "auth.keepalive"  # it notes the activity itself, always
            and not request.headers.get(AUTOSAVE_HEADER)
            and accounts.touch_session(current_user)
        ):
            db.session.commit()
        # What the page's warning needs (templates/base.html).
        g.session_seconds_left = accounts.session_seconds_left(current_user)
        g.session_return_to = where_they_were()
        return None
    token = g.pop("refused_session_token", None)
    ended = accounts.end_outlived_session(token) if token else None
    if ended is None:
        return None
    db.session.commit()
    logout_user()
    flash(_ended_message(ended), "info")
    if request.endpoint in {"auth.login", "auth.keepalive"}:
        return None  # the sign-in page shows the message; the page's script gets its 401
    return redirect(url_for("auth.login", next=where_they_were()))


def _ended_message(ended: accounts.SessionEnd) -> str:
    if ended.limit == accounts.IDLE:
        return ngettext(
            "You were signed out after %(num)d minute without activity. Sign in again to continue.",
            "You were signed out after %(num)d minutes without activity. "
            "Sign in again to continue.",
            int(ended.after.total_seconds() // 60),
        )
    return ngettext(
        "You were signed out %(num)d hour after signing in, when every session ends. "
        "Sign in again to continue.",
        "You were signed out %(num)d hours after signing in, when every session ends. "
        "Sign in again to continue.",
        int(ended.after.total_seconds() // 3600),
    )


def where_they_were() -> str | None:
    """The page to come back to after signing in: this one, or for a form sent with POST the
    page that held the form (its address may answer POST only)."""
    if request.method == "GET":
        return safe_next(request.full_path.rstrip("?"))
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc != request.host:
        return None
    return safe_next(referrer.path + (f"?{referrer.query}" if referrer.query else ""))
