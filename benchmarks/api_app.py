"""The portal as `app.py` serves it, plus two bare routes (a short JSON answer) for
benchmarks/api.py: `/_bare`, the ceiling *inside* the portal (every hook of every page: metrics,
security headers, request id, session...; none of an endpoint's own work), and
`/_bare_limited`, the same under the API's rate limit (its Redis round trips and headers)."""

from flask import current_app

from portal import create_app
from portal.extensions import limiter

app = create_app()


@app.get("/_bare")
def bare():
    return {"ok": True}


@app.get("/_bare_limited")
@limiter.shared_limit(lambda: current_app.config["API_RATE_LIMIT"], scope="api")
def bare_limited():
    return {"ok": True}
