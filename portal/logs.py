"""Logs: one line per event, JSON in production, each with the id of the request it belongs to.

The request id comes from the proxy's `X-Request-ID` when it is well formed (so one id follows a
request through nginx, gunicorn and the portal), else it is made here; it goes back in the
response's `X-Request-ID` header and on error pages, so a user can quote it.
"""

from __future__ import annotations

import logging
import re
import sys
import uuid

from flask import Flask, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
# What we accept from outside: a UUID, or any short token of safe characters.
WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")
TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
JSON_FIELDS = ["levelname", "name", "message", "request_id"]
# The loggers the portal writes to at LOG_LEVEL; everything else (SQLAlchemy's engine logs
# every statement at INFO) stays at WARNING.
PORTAL_LOGGERS = ("portal", "flask-limiter", "rq.worker")


def request_id() -> str:
    """This request's id ("-" outside a request)."""
    if not has_request_context():
        return "-"
    rid = g.get("request_id")
    if rid is None:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        rid = given if WELL_FORMED.fullmatch(given) else uuid.uuid4().hex
        g.request_id = rid
    return rid


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record a handler writes."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id()
        return True


class _PortalHandler(logging.StreamHandler):
    """Our handler on the root logger, recognised (and replaced) when another app is made. It
    writes to whatever `sys.stderr` is at the time (a test runner swaps it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def configure(app: Flask) -> None:
    """Route every log line through one handler on the root logger, in LOG_FORMAT."""
    handler = _PortalHandler()
    if app.config["LOG_FORMAT"] == "json":
        handler.setFormatter(
            # "time": ISO 8601 in UTC, e.g. 2026-11-28T13:16:13.733000+00:00
            JsonFormatter(JSON_FIELDS, rename_fields={"levelname": "level"}, timestamp="time")
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _PortalHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.WARNING:
        root.setLevel(logging.WARNING)
    for name in PORTAL_LOGGERS:
        logging.getLogger(name).setLevel(app.config["LOG_LEVEL"])
    # Flask's own handler on app.logger would write each line a second time.
    from flask.logging import default_handler

    app.logger.removeHandler(default_handler)

    @app.before_request
    def take_request_id():
        request_id()

    @app.after_request
    def send_request_id(response):
        response.headers[REQUEST_ID_HEADER] = request_id()
        return response

    app.jinja_env.globals["request_id"] = request_id
