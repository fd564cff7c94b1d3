"""What the API reads (query parameters) and answers (JSON), as marshmallow schemas: they
validate the parameters and describe both in the OpenAPI document."""

from __future__ import annotations

from datetime import date

import marshmallow as ma
from marshmallow import fields, validate

from portal import lifecycle
from portal.services.statements import Verdict

# Dates outside these years are refused (400) rather than overflowing a date computation.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)
MAX_PER_PAGE = 100
MAX_TEXT = 200


def _day(description: str, example: str) -> fields.Date:
    return fields.Date(
        validate=validate.Range(min=FIRST_DAY, max=LAST_DAY),
        metadata={"description": description, "example": example},
    )


def _code(description: str, example: str) -> fields.String:
    return fields.String(
        validate=validate.Length(max=64), metadata={"description": description, "example": example}
    )


class Strict(ma.Schema):
    """Any parameter the operation does not know is a 400 that names it."""

    class Meta:
        unknown = ma.RAISE


class NoParameters(Strict):
    pass


class CompanyFilters(Strict):
    q = fields.String(
        validate=validate.Length(max=MAX_TEXT),
        metadata={"description": "Text in the company's name or number.", "example": "Silk"},
    )
    number = fields.String(
        validate=validate.Length(max=64),
        metadata={
            "description": "Exactly this registration number.",
            "example": "KEG-IND-2026-000001",
        },
    )
    zone = _code("A zone's code (see /zones).", "KEG-IND")
    sector = _code("A sector's code (see /sectors).", "textiles")
    status = fields.String(
        validate=validate.OneOf(lifecycle.COMPANY_STATES),
        metadata={"description": "Only companies with this status.", "example": "active"},
    )
    registered_from = _day("Registered on or after this day.", "2026-01-01")
    registered_to = _day("Registered on or before this day.", "2026-12-31")
    page = fields.Integer(
        load_default=1,
        validate=validate.Range(min=1, max=100_000),
        metadata={"description": "The page, from 1.", "example": 1},
    )
    per_page = fields.Integer(
        load_default=20,
        validate=validate.Range(min=1, max=MAX_PER_PAGE),
        metadata={"description": f"Companies per page (at most {MAX_PER_PAGE}).", "example": 20},
    )

    @ma.validates_schema
    def _window(self, data, **kwargs):
        start, end = data.get("registered_from"), data.get("registered_to")
        if start and end and start > end:
            raise ma.ValidationError("comes before registered_from", "registered_to")


class StatementParameter(Strict):
    s = fields.String(
        validate=validate.Length(max=4000),
        metadata={
            "description": "The signed statement of a certificate's QR code (its `?s=`), "
            "checked against the register."
        },
    )


class WindowFilters(Strict):
    start = _day("The window's first day (default: 29 days before `end`).", "2026-01-01")
    end = _day("The window's last day (default: today in the zone).", "2026-03-31")
    zone = _code("Only this zone (its code).", "KEG-IND")
    sector = _code("Only this sector (its code).", "textiles")

    @ma.validates_schema
    def _window(self, data, **kwargs):
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise ma.ValidationError("comes before start", "end")
        if start and end and (end - start).days >= 3700:
            raise ma.ValidationError("at most ten years after start", "end")


# --- answers ----------------------------------------------------------------------------------


class Named(ma.Schema):
    code = fields.String(required=True, metadata={"example": "KEG-IND"})
    name = fields.String(required=True, metadata={"example": "Khorgos Eastern Gate: industrial"})


class Company(ma.Schema):
    """A registered company's public record: nothing else of its application."""

    registration_number = fields.String(required=True, metadata={"example": "KEG-IND-2026-000001"})
    name = fields.String(required=True, metadata={"example": "Silk Road Textiles LLP"})
    legal_form = fields.String(required=True, metadata={"example": "llp"})
    zone = fields.Nested(Named, required=True)
    sector = fields.Nested(Named, required=True)
    registered_on = fields.Date(required=True, metadata={"example": "2026-03-14"})
    address = fields.String(required=True, metadata={"example": "Zharkent, 12 Dostyk St."})
    director = fields.String(required=True, metadata={"example": "Aigerim Bekova"})
    status = fields.String(
        required=True,
        validate=validate.OneOf(lifecycle.COMPANY_STATES),
        metadata={"description": "Its status on the register.", "example": "active"},
    )
    status_reason = fields.String(
        required=True, metadata={"description": "Why (empty while active since registration)."}
    )
    status_since = fields.Date(required=True, allow_none=True, metadata={"example": "2026-03-14"})


class StatusChange(ma.Schema):
    """A change of the company's status on the register (who made it is not published)."""

    from_status = fields.String(
        required=True,
        validate=validate.OneOf(lifecycle.COMPANY_STATES),
        metadata={"example": "active"},
    )
    to_status = fields.String(
        required=True,
        validate=validate.OneOf(lifecycle.COMPANY_STATES),
        metadata={"example": "suspended"},
    )
    reason = fields.String(required=True, metadata={"example": "Annual accounts not filed"})
    effective_on = fields.Date(required=True, metadata={"example": "2026-06-01"})


class RecordVersion(ma.Schema):
    """A version of the company's record issued by an approved change (who approved it is not
    published). Version 1 is the record as registered."""

    version = fields.Integer(required=True, metadata={"example": 2})
    effective_on = fields.Date(required=True, metadata={"example": "2026-09-01"})
    changed = fields.List(
        fields.String(),
        required=True,
        metadata={
            "description": "What changed: field names of the record, or founders, owners.",
            "example": ["address", "director_name"],
        },
    )
    name = fields.String(required=True, metadata={"example": "Silk Road Textiles LLP"})


class CompanyDetail(Company):
    """One company's public record, with the history of its status, the latest change first,
    and the versions of its record, oldest first."""

    status_history = fields.List(fields.Nested(StatusChange), required=True)
    certificate_version = fields.Integer(
        required=True,
        metadata={"description": "The certificate version now: 1, then one more per change."},
    )
    versions = fields.List(fields.Nested(RecordVersion), required=True)


class Links(ma.Schema):
    self = fields.String(required=True, metadata={"example": "/api/v1/companies?page=2"})
    first = fields.String(required=True)
    last = fields.String(required=True)
    next = fields.String(required=True, allow_none=True)
    prev = fields.String(required=True, allow_none=True)


class CompanyPage(ma.Schema):
    items = fields.List(fields.Nested(Company), required=True)
    page = fields.Integer(required=True, metadata={"example": 1})
    per_page = fields.Integer(required=True, metadata={"example": 20})
    total = fields.Integer(required=True, metadata={"example": 53})
    pages = fields.Integer(required=True, metadata={"example": 3})
    links = fields.Nested(Links, required=True)


class Difference(ma.Schema):
    field = fields.String(required=True, metadata={"example": "Company"})
    on_certificate = fields.String(required=True)
    in_register = fields.String(required=True)


class StatementCheck(ma.Schema):
    verdict = fields.String(
        required=True,
        validate=validate.OneOf([v.value for v in Verdict if v != Verdict.UNREADABLE]),
        metadata={
            "description": "valid: signed by the portal and as the register says today; "
            "forged: not signed by the portal, or different from the register; suspended, "
            "struck_off: genuine, but the company is (since `since`)."
        },
    )
    since = fields.Date(required=True, allow_none=True)
    reason = fields.String(required=True, metadata={"description": "Why it is not valid."})
    differences = fields.List(fields.Nested(Difference), required=True)


class Verification(ma.Schema):
    registered = fields.Boolean(required=True, metadata={"example": True})
    company = fields.Nested(Company, required=True)
    certificate_version = fields.Integer(required=True, metadata={"example": 1})
    statement = fields.Nested(
        StatementCheck,
        required=True,
        allow_none=True,
        metadata={"description": "The check of `s`, when it was given."},
    )


class ZoneSchema(Named):
    description = fields.String(required=True)
    timezone = fields.String(required=True, metadata={"example": "Asia/Almaty"})
    sectors = fields.List(fields.String(), required=True, metadata={"example": ["textiles"]})


class Zones(ma.Schema):
    items = fields.List(fields.Nested(ZoneSchema), required=True)


class Sectors(ma.Schema):
    items = fields.List(fields.Nested(Named), required=True)


class Eligibility(ma.Schema):
    zones = fields.List(fields.String(), required=True, metadata={"example": ["KEG-IND"]})
    sectors = fields.List(fields.String(), required=True, metadata={"example": ["textiles"]})
    admits = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        required=True,
        metadata={
            "description": "For each zone's code, the codes of the sectors it admits.",
            "example": {"KEG-IND": ["logistics", "textiles"]},
        },
    )


class Window(ma.Schema):
    start = fields.Date(required=True)
    end = fields.Date(required=True)
    zone = fields.String(required=True, allow_none=True)
    sector = fields.String(required=True, allow_none=True)


class DayFigures(ma.Schema):
    day = fields.Date(required=True)
    registrations = fields.Integer(required=True)
    average_7 = fields.Float(required=True, metadata={"description": "Trailing 7-day mean."})
    average_30 = fields.Float(required=True, metadata={"description": "Trailing 30-day mean."})


class Baseline(ma.Schema):
    label = fields.String(required=True, metadata={"example": "2016 (national)"})
    kind = fields.String(required=True)
    year = fields.Integer(required=True, metadata={"example": 2016})
    registrations = fields.Integer(required=True)
    days = fields.Integer(required=True)
    per_day = fields.Float(required=True)


class PaceComparison(ma.Schema):
    baseline = fields.String(required=True, metadata={"description": "The baseline's label."})
    year = fields.Integer(required=True)
    pace = fields.Integer(required=True, metadata={"description": "The baseline's count by now."})
    difference = fields.Integer(required=True, metadata={"description": "Above 0: ahead."})
    percent = fields.Float(required=True, allow_none=True)


class YearToDate(ma.Schema):
    on = fields.Date(required=True)
    day_of_year = fields.Integer(required=True)
    registrations = fields.Integer(required=True)
    comparisons = fields.List(fields.Nested(PaceComparison), required=True)


class BreakdownRow(ma.Schema):
    start = fields.Date(required=True, metadata={"description": "The period's first day."})
    counts = fields.List(fields.Integer(), required=True)


class Breakdown(ma.Schema):
    period = fields.String(required=True, validate=validate.OneOf(["week", "month"]))
    categories = fields.List(fields.Nested(Named), required=True)
    rows = fields.List(fields.Nested(BreakdownRow), required=True)
    totals = fields.List(fields.Integer(), required=True)


class RegistrationStatistics(ma.Schema):
    window = fields.Nested(Window, required=True)
    registrations = fields.Integer(required=True)
    per_day = fields.Float(required=True)
    days = fields.List(fields.Nested(DayFigures), required=True)
    baselines = fields.List(fields.Nested(Baseline), required=True)
    year_to_date = fields.Nested(YearToDate, required=True)
    by_zone = fields.Nested(Breakdown, required=True)
    by_sector = fields.Nested(Breakdown, required=True)


class FunnelStage(ma.Schema):
    stage = fields.String(required=True, metadata={"example": "approved"})
    count = fields.Integer(required=True)


class Funnel(ma.Schema):
    window = fields.Nested(Window, required=True)
    stages = fields.List(fields.Nested(FunnelStage), required=True)


class Durations(ma.Schema):
    count = fields.Integer(required=True)
    median_days = fields.Float(required=True, allow_none=True)
    p90_days = fields.Float(required=True, allow_none=True)


class ReviewerTimes(ma.Schema):
    reviewer_id = fields.Integer(
        required=True, allow_none=True, metadata={"description": "null: all reviewers"}
    )
    times = fields.Nested(Durations, required=True)


class ReviewTimes(ma.Schema):
    window = fields.Nested(Window, required=True)
    reviewers = fields.List(fields.Nested(ReviewerTimes), required=True)
    investor_wait = fields.Nested(Durations, required=True)


class BacklogBucket(ma.Schema):
    min_days = fields.Integer(required=True)
    max_days = fields.Integer(required=True, allow_none=True)
    count = fields.Integer(required=True)


class Backlog(ma.Schema):
    window = fields.Nested(Window, required=True)
    buckets = fields.List(fields.Nested(BacklogBucket), required=True)


class InvalidParameter(ma.Schema):
    name = fields.String(required=True, metadata={"example": "per_page"})
    reason = fields.String(required=True, metadata={"example": "Must be between 1 and 100."})


class Problem(ma.Schema):
    """RFC 9457 problem details."""

    type = fields.String(required=True, metadata={"example": "about:blank"})
    title = fields.String(required=True, metadata={"example": "Not found"})
    status = fields.Integer(required=True, metadata={"example": 404})
    detail = fields.String(
        required=True, metadata={"example": "No company is registered under this number."}
    )
    invalid_params = fields.List(fields.Nested(InvalidParameter))
