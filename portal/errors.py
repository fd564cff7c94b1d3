"""Error pages for every status, in the site's layout."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from portal.extensions import db

MESSAGES = {
    400: _l("The request could not be understood. Go back and try again."),
    403: _l("You do not have access to this page."),
    404: _l("We could not find this page."),
    405: _l("This page cannot be used that way."),
    413: _l("The upload is too large."),
    422: _l("Some of what was sent is not valid."),
    429: _l("Too many attempts. Wait a little and try again."),
    500: _l("Something went wrong on our side. The team has been told; please try again."),
}


def register_error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        message = _l("Your form had expired. Go back, reload the page and send it again.")
        return render_template("errors/error.html", code=400, message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = error.code or 500
        message = MESSAGES.get(code, error.description)
        return render_template("errors/error.html", code=code, message=message), code

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return render_template("errors/error.html", code=500, message=MESSAGES[500]), 500
