"""The API's errors as problem details (RFC 9457, `application/problem+json`), with `title` and
`detail` in the language the request's Accept-Language asks for (never a page, never a 500
without a body)."""

from __future__ import annotations

from flask import Response, current_app, json, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

MEDIA_TYPE = "application/problem+json"

TITLES = {
    400: _l("Bad request"),
    401: _l("Not authenticated"),
    403: _l("Forbidden"),
    404: _l("Not found"),
    405: _l("Method not allowed"),
    406: _l("Not acceptable"),
    429: _l("Too many requests"),
    500: _l("Internal error"),
    503: _l("Service unavailable"),
}
DETAILS = {
    400: _l("The request could not be understood."),
    401: _l("This needs a valid API token: Authorization: Bearer <token>."),
    403: _l("This token may not read this."),
    404: _l("There is nothing at this address."),
    405: _l("The API only answers GET."),
    429: _l("Too many requests. Wait a little and try again."),
    500: _l("Something went wrong on our side. Please try again."),
    503: _l("The service is briefly unavailable. Please try again in a minute."),
}


class ApiProblem(HTTPException):
    """An error with its own (translatable) detail and, for a 400, the parameters at fault."""

    def __init__(self, code: int, detail=None, invalid_params=None, headers=None):
        super().__init__()
        self.code = code
        self.detail = detail
        self.invalid_params = invalid_params or []
        self.extra_headers = headers or {}


def problem_response(error: HTTPException) -> Response:
    code = error.code or 500
    detail = getattr(error, "detail", None) or DETAILS.get(code) or error.description
    body = {
        "type": "about:blank",
        "title": str(TITLES.get(code, error.name)),
        "status": code,
        "detail": str(detail),
    }
    invalid = getattr(error, "invalid_params", None) or _webargs_params(error)
    if invalid:
        body["invalid_params"] = invalid
        if not getattr(error, "detail", None):
            names = ", ".join(p["name"] for p in invalid)
            body["detail"] = str(_l("Check these parameters: %(names)s.", names=names))
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False), status=code, mimetype=MEDIA_TYPE
    )
    response.headers["Content-Language"] = (
        request.accept_languages.best_match(current_app.config["LANGUAGES"]) or "en"
    )
    response.headers["Cache-Control"] = "no-store"
    headers = dict(getattr(error, "extra_headers", None) or {})
    if code == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="api"')
    if code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    response.headers.update(headers)
    return response


def _webargs_params(error: HTTPException) -> list[dict]:
    """webargs' validation messages ({"query": {"name": ["message"]}}) as RFC 9457's
    invalid-params: one entry per parameter, named."""
    data = getattr(error, "data", None) or {}
    messages = data.get("messages") or {}
    found = []
    for _location, fields in messages.items():
        if not isinstance(fields, dict):
            continue
        for name, reasons in fields.items():
            if isinstance(reasons, dict):  # a schema-level message: {"_schema": [...]}
                reasons = [str(r) for r in reasons.values()]
            text = "; ".join(str(r) for r in reasons) if isinstance(reasons, list) else str(reasons)
            found.append({"name": str(name), "reason": text})
    return found
