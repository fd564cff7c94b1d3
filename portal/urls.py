"""URL helpers shared by the blueprints, and every absolute URL the portal writes."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app, request
from werkzeug.routing import IntegerConverter, MapAdapter

MAX_INTEGER = 2**31 - 1  # the largest value of an integer column (PostgreSQL's), ids included
MAX_PAGE = 10**6  # a list's last page number: larger ones are an empty page, not an overflow


class IdConverter(IntegerConverter):
    """`<int:...>` in a route is a database id: a larger number is a 404, not an overflow in
    the query that looks it up."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_INTEGER)
        super().__init__(map, *args, **kwargs)


def page_number() -> int:
    """The list page asked for in the query string: 1 when missing or not a number."""
    try:
        page = int(request.args.get("page", ""))
    except ValueError:
        return 1
    return min(max(page, 1), MAX_PAGE)


def safe_next(target: str | None) -> str | None:
    """`next` only when it is a path on this site."""
    if not target or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def public_adapter(app: Flask | None = None) -> MapAdapter:
    """The URL map bound to the configured public address (BASE_URL: scheme, host, prefix)."""
    app = app or current_app
    base = urlsplit(app.config["BASE_URL"])
    return app.url_map.bind(
        base.netloc,
        script_name=base.path.rstrip("/") or "/",
        url_scheme=base.scheme or "https",
    )


def external_url(endpoint: str, **values) -> str:
    """An absolute URL on BASE_URL, never on the request's Host (which anyone can forge).

    For links in e-mails, QR codes, certificates and exports; works inside and outside a
    request (CLI, RQ worker).
    """
    current_app.inject_url_defaults(endpoint, values)
    return public_adapter().build(endpoint, values, force_external=True)


class _MatchesNothing(MapAdapter):
    error: Exception

    def match(self, *args, **kwargs):
        raise self.error


def refusing_adapter(app: Flask, error: Exception) -> MapAdapter:
    """For a request whose Host is not in TRUSTED_HOSTS: no route matches (the answer is
    `error`, a 400), yet the error page can draw its links, on the public address."""
    public = public_adapter(app)
    adapter = _MatchesNothing(
        public.map,
        public.server_name,
        public.script_name,
        public.subdomain,
        public.url_scheme,
        public.path_info,
        public.default_method,
    )
    adapter.error = error
    return adapter
