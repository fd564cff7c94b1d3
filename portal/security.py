"""Who is on the other end of a request, as the deployment's proxies tell it."""

from __future__ import annotations

from flask import has_request_context, request


def client_address() -> str:
    """The client's address for rate limits and the audit log; "" outside a request.

    Behind PROXY_HOPS trusted proxies, ProxyFix has already replaced the socket address with
    the client named by the proxies' X-Forwarded-For; with no proxies configured a forged
    header is ignored.
    """
    if not has_request_context():
        return ""
    return request.remote_addr or ""


def no_store_when_signed_in(response):
    """Pages and files seen by a signed-in user hold their own or others' personal data: no
    browser or proxy keeps a copy (ASVS 8.2.1), so Back after sign-out shows nothing."""
    from flask_login import current_user

    if request.endpoint != "static" and current_user and current_user.is_authenticated:
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response
