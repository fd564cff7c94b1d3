"""The public API: /api/v1/ (JSON, read-only, described by OpenAPI 3.1) and its page /api/.

flask-smorest builds the OpenAPI document from the views' marshmallow schemas (portal/api/
schemas.py); its own JSON error handler is not installed, so the rest of the site keeps its
HTML error pages and the API answers problem details (portal/api/problems.py).
"""

from __future__ import annotations

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from flask_cors import CORS
from flask_smorest import Api

from portal.api import schemas

API_PREFIX = "/api/v1/"
# Public operations may be called from any web page; the staff statistics (a token) may not.
PUBLIC_PATHS = r"^/api/v1/(?!statistics/(?:funnel|review-times|backlog)).*"
EXPOSED_HEADERS = [
    "ETag",
    "Link",
    "Content-Language",
    "Retry-After",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
]
DESCRIPTION = """\
The public register of the Khorgos special economic zones, its reference data and its
registration statistics, as JSON. Read-only; no account needed. Nothing private is published:
no e-mail address, document, investment figure or beneficial owner's birth date.

* Answers carry an `ETag`: send it back in `If-None-Match` to get `304 Not Modified`.
* Errors are problem details (RFC 9457, `application/problem+json`), in the language of
  `Accept-Language` (en, ru, kk, zh).
* An unknown parameter or a bad value is a `400` that names it.
* Requests are limited per client address; the `X-RateLimit-*` headers say how many are left,
  and a `429` says in `Retry-After` when to try again.
* The staff statistics (funnel, review times, backlog) need a personal access token, made on
  the account page: `Authorization: Bearer kg_...`.
"""


TAGS = [
    ("Companies", "The public register: search, one company, verification of a certificate."),
    ("Reference data", "Zones, sectors, and which sectors each zone admits."),
    ("Statistics", "The registration figures of the dashboard, from the same service."),
    ("Staff statistics", "Non-public figures, for a reviewer's or an administrator's token."),
]


class SessionlessApi(SecureCookieSessionInterface):
    """Flask's signed-cookie session, never set (nor renewed) by an answer of the API: its
    answers are the same for everyone, and a token never becomes a web session."""

    def save_session(self, app, session, response):
        if request.path.startswith(API_PREFIX):
            return None
        return super().save_session(app, session, response)


class PortalApi(Api):
    """flask-smorest's Api, with errors described (and answered) as problem details."""

    ERROR_SCHEMA = schemas.Problem
    DEFAULT_RESPONSE_CONTENT_TYPE = "application/json"

    def _register_error_handlers(self):
        """The blueprint answers its own errors (portal/api/views.py), the site its pages."""

    def _register_responses(self):
        super()._register_responses()
        # The error responses are problem details: the same schema, their own media type.
        for name, response in self.spec.components.responses_lazy.items():
            content = response.get("content", {})
            if "application/json" in content and name != "OK":
                content["application/problem+json"] = content.pop("application/json")


def register(app: Flask) -> None:
    from portal.api import views

    app.config.setdefault("API_RATE_LIMIT", "300/minute")  # portal/config.py reads it
    app.config.update(
        API_TITLE="Khorgos Gateway API",
        API_VERSION="1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX=None,  # served by views.openapi, with the API's headers
        API_SPEC_OPTIONS={
            "info": {"description": DESCRIPTION},
            "servers": [{"url": "/"}],
        },
    )
    api = PortalApi(app)
    api.spec.components.security_scheme(
        views.BEARER, {"type": "http", "scheme": "bearer", "description": "A personal access token"}
    )
    api.register_blueprint(views.bp)
    # Operations are grouped by their own tags (Companies, Reference data, Statistics...); the
    # blueprint's tag, which flask-smorest adds, would be an empty group above them.
    api.spec._tags[:] = [t for t in api.spec._tags if t["name"] != views.bp.name]
    for name, description in TAGS:
        api.spec.tag({"name": name, "description": description})
    app.register_blueprint(views.extra)
    app.register_blueprint(views.pages)
    app.extensions["portal.api"] = api
    if type(app.session_interface) is SecureCookieSessionInterface:
        app.session_interface = SessionlessApi()
    CORS(
        app,
        resources={PUBLIC_PATHS: {"origins": "*"}},
        send_wildcard=True,  # public data: "*", not the caller's origin echoed
        methods=["GET", "HEAD", "OPTIONS"],
        expose_headers=EXPOSED_HEADERS,
        supports_credentials=False,
        max_age=86400,
    )
