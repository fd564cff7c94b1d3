"""The public API (/api/v1/, JSON, read-only) and its page (/api/).

Views are thin: parameters are read and checked by the schemas (portal/api/schemas.py, which
also describe them in the OpenAPI document), data come from the services, and every answer is
JSON with an ETag; errors are problem details (portal/api/problems.py).
"""

from __future__ import annotations

import functools
import json
import math
from datetime import timedelta
from urllib.parse import urlencode

import marshmallow as ma
from flask import Blueprint as FlaskBlueprint
from flask import current_app, g, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException

from portal.api import cache, schemas
from portal.api.problems import ApiProblem, problem_response
from portal.extensions import db, limiter
from portal.models.base import utcnow
from portal.services import (
    api_tokens,
    company_status,
    public_registry,
    reference,
    signing,
    statements,
    stats,
)

# Public answers may be kept this long by browsers and proxies (they revalidate with the ETag).
MAX_AGE = 60
BEARER = "bearerAuth"


class QueryParser(FlaskParser):
    """A bad parameter is a 400 (not webargs' 422), and an unknown one is refused, not ignored."""

    DEFAULT_VALIDATION_STATUS = 400
    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": ma.RAISE,
        "querystring": ma.RAISE,
    }


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = QueryParser()


bp = ApiBlueprint(
    "api",
    __name__,
    url_prefix="/api/v1",
    description="The public register, reference data and registration statistics.",
)
# The human page, in the site's layout.
pages = FlaskBlueprint("api_pages", __name__)
# The OpenAPI document, and a problem (not the site's HTML page) for any other address under
# /api/v1: not operations of the API, so not in its document.
extra = FlaskBlueprint("api_extra", __name__, url_prefix="/api/v1")


def rate_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


# One budget per client address for the whole API (not one per operation).
limiter.shared_limit(rate_limit, scope="api")(bp)


@bp.errorhandler(HTTPException)
@extra.errorhandler(HTTPException)
def problem(error: HTTPException):
    return problem_response(error)


def encode(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def json_answer(data: dict | str, *, public: bool = True):
    """JSON with an ETag; a request whose If-None-Match holds it gets 304 and no body."""
    body = data if isinstance(data, str) else encode(data)
    response = current_app.response_class(body, mimetype="application/json")
    response.add_etag()
    if public:
        response.cache_control.public = True
        response.cache_control.max_age = MAX_AGE
    else:
        response.cache_control.private = True
        response.cache_control.no_cache = True
    return response.make_conditional(request)


def token_required(view):
    """Staff statistics: `Authorization: Bearer <token>` (a personal access token), never the
    web session; 401 otherwise."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
        user = api_tokens.authenticate(secret.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            raise ApiProblem(401)
        db.session.commit()  # the token's last use
        g.api_user = user
        return view(*args, **kwargs)

    return wrapped


# --- companies --------------------------------------------------------------------------------


def _page_url(args: dict, page: int) -> str:
    kept = {k: v for k, v in request.args.items() if k != "page"}
    return url_for("api.companies") + "?" + urlencode({**kept, "page": page})


@bp.route("/companies")
@bp.arguments(schemas.CompanyFilters, location="query", as_kwargs=True)
@bp.response(200, schemas.CompanyPage)
@bp.doc(tags=["Companies"], summary="Search the register")
def companies(page: int, per_page: int, **filters):
    """Registered companies, newest registration first (a stable order: page after page, no
    company is seen twice or skipped while the register does not change)."""
    query = public_registry.CompanyQuery(**{k: v for k, v in filters.items() if v})
    found, total = public_registry.find_companies(query, page, per_page)
    pages_count = max(1, math.ceil(total / per_page))
    data = {
        "items": [public_registry.record(c) for c in found],
        "page": page,
        "per_page": per_page,
        "total": total,
        "pages": pages_count,
        "links": {
            "self": _page_url(filters, page),
            "first": _page_url(filters, 1),
            "last": _page_url(filters, pages_count),
            "next": _page_url(filters, page + 1) if page < pages_count else None,
            "prev": _page_url(filters, min(page - 1, pages_count)) if page > 1 else None,
        },
    }
    response = json_answer(data)
    links = [f'<{data["links"][rel]}>; rel="{rel}"' for rel in ("next", "prev", "first", "last")]
    response.headers["Link"] = ", ".join(
        link
        for link, rel in zip(links, ("next", "prev", "first", "last"), strict=True)
        if data["links"][rel]
    )
    return response


NOT_REGISTERED = _l("No company is registered under this number")


@bp.route("/companies/<string(maxlength=64):number>")
@bp.arguments(schemas.NoParameters, location="query")
@bp.response(200, schemas.CompanyDetail)
@bp.alt_response(404, response="NOT_FOUND")
@bp.doc(tags=["Companies"], summary="One company's public record")
def company(_args, number: str):
    def build() -> str:
        found = public_registry.company(number)
        if found is None:
            raise ApiProblem(404, NOT_REGISTERED)
        history = [
            {
                "from_status": change.from_status,
                "to_status": change.to_status,
                "reason": change.reason,
                "effective_on": change.effective_on.isoformat(),
            }
            for change in company_status.history(found.number)
        ]
        versions = [
            {
                "version": v.version,
                "effective_on": v.effective_on.isoformat(),
                "changed": list(v.changed),
                "name": v.company_name,
            }
            for v in public_registry.versions(found.number)
        ]
        return encode(
            public_registry.record(found)
            | {
                "status_history": history,
                "certificate_version": found.version,
                "versions": versions,
            }
        )

    return json_answer(cache.kept(f"company:{public_registry.normalise_number(number)}", build))


@bp.route("/verify/<string(maxlength=64):number>")
@bp.arguments(schemas.StatementParameter, location="query", as_kwargs=True)
@bp.response(200, schemas.Verification)
@bp.alt_response(404, response="NOT_FOUND")
@bp.doc(tags=["Companies"], summary="Verify a registration (and a certificate's statement)")
def verify(number: str, s: str | None = None):
    """Is a company registered under this number? With `s` (the statement in a certificate's
    QR code), is the certificate genuine and does it agree with the register today?"""
    if s is None:  # the register's answer alone: the same for everyone, kept
        key = f"verify:{public_registry.normalise_number(number)}"
        return json_answer(cache.kept(key, lambda: encode(_verification(number, None))))
    response = json_answer(_verification(number, s))
    response.vary.add("Accept-Language")  # the statement's reason is in the asker's language
    return response


def _verification(number: str, s: str | None) -> dict:
    found = public_registry.company(number)
    if found is None:
        raise ApiProblem(404, NOT_REGISTERED)
    check = None
    if s is not None:
        registration = public_registry.find(number)
        result = statements.check_online(s, registration, signing.published_keys())
        check = {
            "verdict": str(result.verdict),
            "reason": str(result.reason),
            "since": result.since.isoformat() if result.since else None,
            "differences": [
                {
                    "field": str(d.label),
                    "on_certificate": d.on_certificate,
                    "in_register": d.in_register,
                }
                for d in result.differences
            ],
        }
    return {
        "registered": True,
        "company": public_registry.record(found),
        "certificate_version": statements.VERSION,
        "statement": check,
    }


# --- reference data ---------------------------------------------------------------------------


@bp.route("/zones")
@bp.arguments(schemas.NoParameters, location="query")
@bp.response(200, schemas.Zones)
@bp.doc(tags=["Reference data"], summary="The zones open to applications")
def zones(_args):
    return json_answer(cache.kept("zones", _zones))


def _zones() -> str:
    items = [
        {
            "code": z.code,
            "name": z.name,
            "description": z.description,
            "timezone": z.timezone,
            "sectors": sorted(s.code for s in z.sectors),
        }
        for z in public_registry.zones_on_show()
    ]
    return encode({"items": items})


@bp.route("/sectors")
@bp.arguments(schemas.NoParameters, location="query")
@bp.response(200, schemas.Sectors)
@bp.doc(tags=["Reference data"], summary="The sectors")
def sectors(_args):
    return json_answer(
        cache.kept(
            "sectors",
            lambda: encode(
                {"items": [{"code": s.code, "name": s.name} for s in reference.active_sectors()]}
            ),
        )
    )


@bp.route("/eligibility")
@bp.arguments(schemas.NoParameters, location="query")
@bp.response(200, schemas.Eligibility)
@bp.doc(tags=["Reference data"], summary="Which sectors each zone admits")
def eligibility(_args):
    return json_answer(cache.kept("eligibility", _eligibility))


def _eligibility() -> str:
    shown = public_registry.zones_on_show()
    admits = {z.code: sorted(s.code for s in z.sectors) for z in shown}
    every_sector = sorted({code for codes in admits.values() for code in codes})
    return encode({"zones": list(admits), "sectors": every_sector, "admits": admits})


# --- statistics -------------------------------------------------------------------------------

DEFAULT_DAYS = 30


def _filters(start=None, end=None, zone=None, sector=None) -> stats.Filters:
    """The window and scope asked for: the last 30 days (in the zone) unless given."""
    zone_id = sector_id = None
    if zone:
        zone_id = next((z.id for z in public_registry.zones() if z.code == zone), None)
        if zone_id is None:
            raise ApiProblem(400, _l("There is no zone with this code."), _bad("zone"))
    if sector:
        sector_id = next((s.id for s in public_registry.sectors() if s.code == sector), None)
        if sector_id is None:
            raise ApiProblem(400, _l("There is no sector with this code."), _bad("sector"))
    if end is None:
        end = max(stats.today(zone_id), start) if start else stats.today(zone_id)
    if start is None:
        start = end - timedelta(days=DEFAULT_DAYS - 1)
    return stats.Filters(start, end, zone_id, sector_id)


def _bad(name: str) -> list[dict]:
    return [{"name": name, "reason": "Unknown code."}]


def _window(filters: stats.Filters, zone: str | None, sector: str | None) -> dict:
    return {
        "start": filters.start.isoformat(),
        "end": filters.end.isoformat(),
        "zone": zone or None,
        "sector": sector or None,
    }


def _number(value) -> float | None:
    return None if value is None else float(value)


def _breakdown(breakdown: stats.Breakdown) -> dict:
    return {
        "period": breakdown.period,
        "categories": [{"code": code, "name": name} for _id, code, name in breakdown.categories],
        "rows": [{"start": day.isoformat(), "counts": counts} for day, counts in breakdown.rows],
        "totals": breakdown.totals,
    }


@bp.route("/statistics/registrations")
@bp.arguments(schemas.WindowFilters, location="query", as_kwargs=True)
@bp.response(200, schemas.RegistrationStatistics)
@bp.doc(tags=["Statistics"], summary="Registrations per day, by zone and sector, year to date")
def registrations(**args):
    """The dashboard's public figures, from the same service: registrations per day with
    trailing 7- and 30-day means, the baselines, year to date against each baseline's pace,
    and registrations per week (or month, for windows over 120 days) by zone and by sector."""
    filters = _filters(**args)
    data = stats.registrations(filters, utcnow())
    ytd = data.year_to_date
    return json_answer(
        {
            "window": _window(filters, args.get("zone"), args.get("sector")),
            "registrations": data.daily.registrations,
            "per_day": float(data.daily.per_day),
            "days": [
                {
                    "day": d.day.isoformat(),
                    "registrations": d.registrations,
                    "average_7": float(d.average_7),
                    "average_30": float(d.average_30),
                }
                for d in data.daily.days
            ],
            "baselines": [
                {
                    "label": b.label,
                    "kind": b.kind,
                    "year": b.year,
                    "registrations": b.registrations,
                    "days": b.days,
                    "per_day": float(b.per_day),
                }
                for b in data.baselines
            ],
            "year_to_date": {
                "on": ytd.on.isoformat(),
                "day_of_year": ytd.day_of_year,
                "registrations": ytd.registrations,
                "comparisons": [
                    {
                        "baseline": c.baseline.label,
                        "year": c.baseline.year,
                        "pace": c.pace,
                        "difference": c.difference,
                        "percent": _number(c.percent),
                    }
                    for c in ytd.comparisons
                ],
            },
            "by_zone": _breakdown(data.by_zone),
            "by_sector": _breakdown(data.by_sector),
        }
    )


STAFF_ONLY = {"security": [{BEARER: []}]}


@bp.route("/statistics/funnel")
@token_required
@bp.arguments(schemas.WindowFilters, location="query", as_kwargs=True)
@bp.response(200, schemas.Funnel)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.doc(tags=["Staff statistics"], summary="What became of the window's submissions", **STAFF_ONLY)
def funnel(**args):
    filters = _filters(**args)
    stages = [{"stage": s.stage, "count": s.count} for s in stats.funnel(filters)]
    return json_answer(
        {"window": _window(filters, args.get("zone"), args.get("sector")), "stages": stages},
        public=False,
    )


def _durations(times: stats.Durations) -> dict:
    return {
        "count": times.count,
        "median_days": _number(times.median),
        "p90_days": _number(times.p90),
    }


@bp.route("/statistics/review-times")
@token_required
@bp.arguments(schemas.WindowFilters, location="query", as_kwargs=True)
@bp.response(200, schemas.ReviewTimes)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.doc(tags=["Staff statistics"], summary="Submission to decision, per reviewer", **STAFF_ONLY)
def review_times(**args):
    filters = _filters(**args)
    times = stats.review_times(filters)
    return json_answer(
        {
            "window": _window(filters, args.get("zone"), args.get("sector")),
            "reviewers": [
                {"reviewer_id": r.reviewer_id, "times": _durations(r.times)}
                for r in times.reviewers
            ],
            "investor_wait": _durations(times.investor_wait),
        },
        public=False,
    )


@bp.route("/statistics/backlog")
@token_required
@bp.arguments(schemas.WindowFilters, location="query", as_kwargs=True)
@bp.response(200, schemas.Backlog)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.doc(tags=["Staff statistics"], summary="Open applications by days waited", **STAFF_ONLY)
def backlog(**args):
    filters = _filters(**args)
    buckets = [
        {"min_days": b.min_days, "max_days": b.max_days, "count": b.count}
        for b in stats.backlog(utcnow(), filters)
    ]
    return json_answer(
        {"window": _window(filters, args.get("zone"), args.get("sector")), "buckets": buckets},
        public=False,
    )


# --- the document and the page ----------------------------------------------------------------


@extra.get("/openapi.json")
def openapi():
    return json_answer(current_app.extensions["portal.api"].spec.to_dict())


@pages.get("/api/")
def index():
    return render_template("api/index.html")


@extra.route("/<path:rest>")
def nowhere(rest: str):
    raise ApiProblem(404)
