"""No input gives a 5xx: generated values at every route's parameters and forms, as each role.

The routes come from the app's URL map; the parameter names from the forms the pages render (each
POST route gets the fields of the forms that post to it) and from the code that reads
`request.args` / `request.form`. A new route, form or field is covered without editing this file.

Hypothesis is derandomized and bounded (a few examples per route and role, after a fixed sweep
of the values that broke the portal before), so a run is reproducible and quick. One seeded
dataset serves the whole file; the GET tests run first, then the POSTs, which may change data
(never the four signed-in users themselves: user ids in URLs are a bystander's).
"""

from __future__ import annotations

import functools
import io
import re
import tempfile
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Rule
from wtforms.fields.core import UnboundField

from portal import create_app, lifecycle
from portal.extensions import db
from portal.models import ADMIN, INVESTOR, REVIEWER, Document, Zone
from portal.services import accounts as accounts_service
from portal.services import applications as app_service
from portal.services import review
from portal.services.reference import seed_reference
from tests import factories
from tests.conftest import PASSWORD, IsolatedClient, _empty_tables, _test_config

ROLES = ("visitor", INVESTOR, REVIEWER, ADMIN)
PORTAL = Path(__file__).resolve().parent.parent / "portal"

# The values that are most likely to break a parser, a query or a date calculation.
HUGE = "99999999999999999999"  # 10**20: beyond a 64-bit integer
BIGGER = "9" * 30  # beyond a decimal's 28 digits too
NASTY = (
    "",
    " ",
    "0",
    "1",
    "-1",
    "1.5",
    "-0",
    "1e400",
    "NaN",
    "inf",
    "0x10",
    "1_000",
    "١٢",
    "²",
    HUGE,
    "-" + HUGE,
    BIGGER,
    str(2**31),
    str(2**63),
    str(2**64),
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "2026-02-30",
    "2026-13-01",
    "-2026-01-01",
    "\x00",
    "a\x00b",
    "x" * 10_000,
    "é" * 5_000,
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ﷽ \u202e",
    "<script>alert(1)</script>",
    "' OR '1'='1",
    "%",
    "_",
    "\\",
    "../../etc/passwd",
    "None",
    "null",
    "[]",
)
# Every parameter at once set to one of these, before Hypothesis draws its own mixtures.
SWEEP = (HUGE, "9999-12-31", "0001-01-01", "a\x00b")
# Values for a URL's converter (<int:id>, <step>, <token> ...) besides the real ones.
PATH_VALUES = ("0", HUGE, str(2**31), str(2**63), "-1", "x", "٣", "a\x00b", "x" * 2_000, "%", ".")


def text_values() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(NASTY),
        st.integers(-(10**20), 10**20).map(str),
        st.floats().map(repr),
        st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat),
        st.text(max_size=40),
    )


FILES = st.tuples(
    st.one_of(
        st.sampled_from([factories.PDF_BYTES, factories.PNG_BYTES, b"%PDF-1.4\n", b""]),
        st.binary(max_size=2_000),
    ),
    st.one_of(
        st.sampled_from(["a.pdf", "a.png", "", "a\x00.pdf", "x" * 1_000 + ".pdf"]), st.text()
    ),
)


# --- the 500s this test found, each as a plain check ----------------------------------------


def _as(app, role: str, user=None):
    """A client of its own, signed in as `user` or a new user of the role (not for a visitor)."""
    client = app.test_client()
    if role != "visitor":
        user = user or factories.UserFactory(role=role)
        client.post("/login", data={"email": user.email, "password": PASSWORD})
    return client


def test_a_page_number_out_of_any_range_is_a_page_of_the_list(app):
    factories.registered_application()
    lists = [(role, "/registry") for role in ROLES]
    lists += [(REVIEWER, "/review/"), (ADMIN, "/review/"), (ADMIN, "/admin/users")]
    lists += [(ADMIN, "/admin/audit")]
    for role, path in lists:
        client = _as(app, role)
        for page in (HUGE, str(2**63), "-5", "x", "1e3"):
            response = client.get(f"{path}?page={page}&page=2")
            assert response.status_code == 200, (role, path, page)


def test_an_id_no_table_can_hold_is_not_found(app):
    pages = [
        (INVESTOR, "/applications/{id}"),
        (INVESTOR, "/applications/{id}/step/company"),
        (INVESTOR, "/applications/documents/{id}"),
        (REVIEWER, "/review/applications/{id}"),
        (ADMIN, "/admin/zones/{id}"),
        (ADMIN, "/admin/baselines/{id}"),
    ]
    clients = {role: _as(app, role) for role in (INVESTOR, REVIEWER, ADMIN)}
    for role, path in pages:
        for number in (HUGE, str(2**31)):
            response = clients[role].get(path.format(id=number))
            assert response.status_code == 404, (role, path, number)
    response = clients[ADMIN].post(f"/admin/users/{HUGE}/active", data={"active": "0"})
    assert response.status_code == 404


def test_a_nul_character_is_refused(client):
    """PostgreSQL refuses NUL in text: without the check, each of these was a 500 there."""
    assert client.get("/registry?q=a%00b").status_code == 400
    assert client.get("/verify/KEG%00").status_code == 400
    login = {"email": "a\x00b@example.com", "password": "x"}
    assert client.post("/login", data=login).status_code == 400
    signup = {"full_name": "A\x00", "email": "a@example.com", "password": "x"}
    assert client.post("/signup", data=signup).status_code == 400


def test_a_date_beyond_the_calendar_is_refused_next_to_the_field(app):
    reviewer = _as(app, REVIEWER)
    response = reviewer.get("/review/?submitted_to=9999-12-31")
    assert response.status_code == 200
    assert "Enter a date between 1900 and 2100." in response.get_data(as_text=True)
    response = reviewer.get("/dashboard/?window=custom&start=9999-12-30&end=9999-12-31")
    assert response.status_code == 422
    assert "Enter a date between 1900 and 2100." in response.get_data(as_text=True)


def test_a_rejection_reason_no_table_can_hold_is_refused(app):
    reviewer = factories.UserFactory(role=REVIEWER)
    application = factories.complete_application()
    with app.test_request_context():
        app_service.submit(application, application.owner)
        review.take(application, reviewer)
        db.session.commit()
    response = _as(app, REVIEWER, reviewer).post(
        f"/review/applications/{application.id}/reject", data={"reason": HUGE, "explanation": "x"}
    )
    assert response.status_code == 422
    assert db.session.get(type(application), application.id).status == lifecycle.IN_REVIEW


def test_a_baseline_number_no_column_can_hold_is_refused_next_to_the_field(app):
    admin = _as(app, ADMIN)
    data = {"label": "Target", "kind": "target", "year": "2026", "registrations": "900", "days": ""}
    for field_name in ("year", "registrations", "days"):
        response = admin.post("/admin/baselines/new", data={**data, field_name: HUGE})
        assert response.status_code == 422, field_name
        assert "Not a valid integer value." in response.get_data(as_text=True)


def test_an_amount_with_more_digits_than_a_decimal_holds_is_refused_next_to_the_field(app):
    investor = factories.UserFactory(role=INVESTOR)
    application = factories.ApplicationFactory(owner=investor)
    response = _as(app, INVESTOR, investor).post(
        f"/applications/{application.id}/step/investment",
        data={"investment_amount": BIGGER, "planned_jobs": "5", "action": "save"},
    )
    assert response.status_code == 422
    assert "Enter an amount above zero." in response.get_data(as_text=True)


# --- the routes, from the URL map ----------------------------------------------------------


def _routes(method: str) -> list[Rule]:
    app = create_app(_test_config(Path(tempfile.gettempdir()), "sqlite://"))
    return sorted(
        (r for r in app.url_map.iter_rules() if method in r.methods),
        key=lambda r: (r.rule, str(r.defaults)),
    )


GET_ROUTES = _routes("GET")
POST_ROUTES = _routes("POST")


def _cases(rules: list[Rule]) -> list:
    return [
        pytest.param(rule, role, id=f"{role}:{rule.rule}{'' if not rule.defaults else '(new)'}")
        for rule in rules
        for role in ROLES
    ]


def _build(rule: Rule, values: dict[str, str]) -> str:
    """The rule's path with these (unchecked, quoted) values for its converters."""
    path = rule.rule
    for name in rule.arguments - set(rule.defaults or {}):
        path = re.sub(rf"<(?:[^:<>]+:)?{name}>", quote(values[name], safe=""), path)
    return path


# --- names read in the code, and forms found on the pages ----------------------------------


def _names_in_code(where: str) -> set[str]:
    """Parameter names the views read directly: request.args.get("page"), request.form["x"]."""
    pattern = re.compile(rf"request\.{where}(?:\.get\(|\[)\s*[\"'](\w+)[\"']")
    return {m for p in PORTAL.rglob("*.py") for m in pattern.findall(p.read_text())}


def _form_classes() -> list[type]:
    found, todo = [], [FlaskForm]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def _class_fields(get: bool) -> set[str]:
    """Field names of the form classes: the GET (no CSRF) ones, or the others."""
    names = set()
    for cls in _form_classes():
        if (getattr(cls.Meta, "csrf", None) is False) == get:
            names.update(n for n in dir(cls) if isinstance(getattr(cls, n, None), UnboundField))
    return names


@dataclass(eq=False)  # hashable by identity: its strategy is built once
class Fields:
    """Form field names, each with the values the pages offer for it, in the order seen."""

    values: dict[str, list[str]] = field(default_factory=dict)
    files: set[str] = field(default_factory=set)
    typed: set[str] = field(default_factory=set)  # text boxes and selects: what a person types

    def add(self, name: str, value: str | None = None) -> None:
        seen = self.values.setdefault(name, [])
        if value and value not in seen:
            seen.append(value)

    def merge(self, other: Fields) -> None:
        for name, values in other.values.items():
            self.add(name)
            for value in values:
                self.add(name, value)
        self.files |= other.files
        self.typed |= other.typed

    def plain(self) -> list[str]:
        return [name for name in self.values if name not in self.files]

    def offered(self) -> MultiDict:
        """A form as a person would send it: each field with the first value the page offers."""
        return MultiDict(
            [
                (name, (values or ["x"])[0])
                for name, values in self.values.items()
                if name not in self.files
            ]
        )


class FormParser(HTMLParser):
    """Every <form> of a page: its method, action, and the names and values of its controls."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, str, Fields]] = []
        self.select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append(((a.get("method") or "get").upper(), a.get("action") or "", Fields()))
        if not self.forms or tag not in ("input", "select", "textarea", "button", "option"):
            return
        fields = self.forms[-1][2]
        if tag == "option" and self.select:
            fields.add(self.select, a.get("value"))
        elif a.get("name"):
            fields.add(a["name"], a.get("value"))
            kind = a.get("type", "text") if tag == "input" else tag
            if kind == "file":
                fields.files.add(a["name"])
            elif kind not in ("checkbox", "radio", "hidden", "submit", "button"):
                fields.typed.add(a["name"])
            if tag == "select":
                self.select = a["name"]

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None


@dataclass
class Site:
    app: object
    path_values: dict[str, list[str]]  # converter name -> real values
    query: Fields  # every GET parameter name the portal reads, with values seen
    posts: dict[str, Fields]  # endpoint -> the fields of the forms posting to it
    forms: dict[str, dict[tuple, tuple[str, Fields]]]  # endpoint -> each form and its URL
    other_posts: Fields  # every form field name, for a POST route no page shows a form for
    clients: dict = field(default_factory=dict)

    def signed_in(self, role: str):
        """One client per role for the GETs (they change nothing); each POST test signs in anew,
        as a POST may end its session."""
        if role not in self.clients:
            self.clients[role] = _client(self.app, role)
        return self.clients[role]


def _seed() -> dict[str, list[str]]:
    """Users of each role, applications in each state with documents, a registration."""
    investor = factories.UserFactory(role=INVESTOR, email="investor@example.com")
    reviewer = factories.UserFactory(role=REVIEWER, email="reviewer@example.com")
    admin = factories.UserFactory(role=ADMIN, email="admin@example.com")
    bystander = factories.UserFactory(role=INVESTOR, email="bystander@example.com")
    factories.UserFactory(role=REVIEWER, email="colleague@example.com")
    draft = factories.ApplicationFactory(owner=investor)
    complete = factories.complete_application(investor)
    others = factories.complete_application(bystander)
    staff = {reviewer: [], admin: []}
    for _ in range(2):
        for person, held in staff.items():
            application = factories.complete_application(investor)
            app_service.submit(application, investor)
            review.take(application, person)
            held.append(application)
    submitted = factories.complete_application(investor)
    app_service.submit(submitted, investor)
    review.request_info(staff[reviewer].pop(), reviewer, "Please add the business plan.")
    registered = factories.registered_application(investor, registered_on=date(2025, 3, 14))
    db.session.commit()
    applications = [draft, complete, others, submitted, registered, *staff[reviewer], *staff[admin]]
    return {
        "application_id": [str(a.id) for a in applications],
        "document_id": [str(i) for i in db.session.scalars(db.select(Document.id))],
        "user_id": [str(bystander.id)],
        "step": list(app_service.STEPS),
        "token": [
            accounts_service.make_confirm_token(bystander),
            accounts_service.make_reset_token(bystander),
        ],
        "number": [registered.registration.number],
        "zone_id": [str(i) for i in db.session.scalars(db.select(Zone.id))],
    }


def _real_urls(rule: Rule, path_values: dict[str, list[str]]) -> list[str]:
    names = sorted(rule.arguments - set(rule.defaults or {}))
    urls = [{}]
    for name in names:
        urls = [{**u, name: v} for u in urls for v in path_values.get(name, ["1"])]
    return [_build(rule, u) for u in urls[:40]]


def _harvest(app, path_values) -> tuple[Fields, dict[str, Fields], dict[str, dict]]:
    """Open every GET page as each role and note the forms on them: the GET parameters, each
    POST route's fields, and one URL for each different form posting there (the URLs that
    target only the seeded bystander, never one of the signed-in users)."""
    query, posts, forms = Fields(), {}, {}
    adapter = app.url_map.bind("localhost")
    for role in ROLES:
        client = _client(app, role)
        for rule in GET_ROUTES:
            if rule.endpoint == "static":
                continue
            for url in _real_urls(rule, path_values)[:12]:
                response = client.get(url)
                response.close()
                if response.status_code != 200 or response.mimetype != "text/html":
                    continue
                parser = FormParser()
                parser.feed(response.get_data(as_text=True))
                for method, action, fields in parser.forms:
                    target = urlsplit(action or url).path
                    if method == "GET":
                        query.merge(fields)
                        continue
                    try:
                        endpoint, args = adapter.match(target, method="POST")
                    except HTTPException:
                        continue
                    posts.setdefault(endpoint, Fields()).merge(fields)
                    if all(str(v) in path_values.get(k, [str(v)]) for k, v in args.items()):
                        forms.setdefault(endpoint, {}).setdefault(
                            tuple(sorted(fields.values)), (target, fields)
                        )
    for name in _names_in_code("args") | _class_fields(get=True):
        query.add(name)
    return query, posts, forms


def _client(app, role: str):
    client = app.test_client()
    if role != "visitor":
        response = client.post(
            "/login", data={"email": f"{role}@example.com", "password": PASSWORD}
        )
        assert response.status_code == 302, f"{role} could not sign in"
    return client


@pytest.fixture(scope="module")
def site(database_uri, tmp_path_factory):
    app = create_app(_test_config(tmp_path_factory.mktemp("fuzz"), database_uri))
    app.test_client_class = IsolatedClient
    with app.app_context():
        _empty_tables()
        seed_reference()
        with app.test_request_context():
            path_values = _seed()
        query, posts, forms = _harvest(app, path_values)
        other_posts = Fields()
        for name in _class_fields(get=False):
            other_posts.add(name)
        for fields in [other_posts, *posts.values()]:
            for name in sorted(_names_in_code("form")):  # read by any view, so sent to each
                fields.add(name)
            if fields is not other_posts:
                other_posts.merge(fields)
        yield Site(app, path_values, query, posts, forms, other_posts)
        db.session.remove()
        db.engine.dispose()


# --- what is thrown ------------------------------------------------------------------------


def path_strategy(rule: Rule, site: Site) -> st.SearchStrategy[str]:
    names = sorted(rule.arguments - set(rule.defaults or {}))
    return st.fixed_dictionaries(
        {
            n: st.one_of(
                st.sampled_from(site.path_values.get(n, ["1"])),
                st.sampled_from(PATH_VALUES),
                st.text(min_size=1, max_size=20),
            )
            for n in names
        }
    ).map(lambda values: _build(rule, values))


@functools.cache
def params_strategy(fields: Fields) -> st.SearchStrategy[MultiDict]:
    """A few fields (a value the page offers, or a generated one; files as uploads), alone or
    over the form as the page offers it; a name drawn twice is a repeated parameter."""

    def values(name: str) -> st.SearchStrategy:
        if name in fields.files:
            return FILES
        offered = fields.values[name]
        return st.one_of(st.sampled_from(offered), text_values()) if offered else text_values()

    pair = st.one_of([st.tuples(st.just(name), values(name)) for name in fields.values])

    def build(on_offered_form: bool, pairs: list[tuple]) -> MultiDict:
        data = fields.offered() if on_offered_form else MultiDict()
        drawn = set()
        for name, value in pairs:
            if name in drawn:
                data.add(name, value)
            else:
                data.setlist(name, [value])
                drawn.add(name)
        return data

    return st.builds(build, st.booleans(), st.lists(pair, max_size=8))


def _sweep(fields: Fields, long: str) -> list[MultiDict]:
    """Every parameter at once with one nasty value; then each parameter repeated."""
    names = fields.plain()
    sweeps = [MultiDict([(n, value) for n in names]) for value in (*SWEEP, long)]
    sweeps.append(MultiDict([(n, v) for n in names for v in ("1", "x")]))
    return sweeps


def _one_at_a_time(fields: Fields) -> list[MultiDict]:
    """The form as its page offers it, with one field at a time huge or very long: a check
    further on (a service's, the database's) is reached only when the others are valid."""
    sweeps = []
    for name in sorted(fields.typed):
        for value in (BIGGER, "x" * 10_000):
            data = fields.offered()
            data.setlist(name, [value])
            sweeps.append(data)
    return sweeps


def _refused(response) -> bool:
    """The role may not use this form here: its fields are never read."""
    to_login = response.status_code == 302 and response.location.startswith("/login")
    return to_login or response.status_code in (403, 404, 405)


def _uploads(data: MultiDict) -> MultiDict:
    """Fresh file objects for each request (a request reads them to the end)."""
    return MultiDict(
        [
            (k, (io.BytesIO(v[0]), v[1]) if isinstance(v, tuple) else v)
            for k, v in data.items(multi=True)
        ]
    )


def _check(response, what: str) -> None:
    response.close()  # a file download holds its file open until then
    assert response.status_code < 500, f"{response.status_code} for {what}"


BOUNDED = settings(
    max_examples=3,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize(("rule", "role"), _cases(GET_ROUTES))
def test_no_query_string_gives_a_server_error(site, rule, role):
    client = site.signed_in(role)
    urls = _real_urls(rule, site.path_values)
    # Every parameter very long makes a long URL: 500 characters each keeps it quick.
    for i, args in enumerate(_sweep(site.query, long="x" * 500)):
        url = urls[i % len(urls)]
        _check(client.get(url, query_string=args), f"GET {url} {args!r:.300}")

    @BOUNDED
    @given(url=path_strategy(rule, site), args=params_strategy(site.query))
    def check(url, args):
        _check(client.get(url, query_string=args), f"GET {url} {args!r:.300}")

    check()


@pytest.mark.parametrize(("rule", "role"), _cases(POST_ROUTES))
def test_no_form_gives_a_server_error(site, rule, role):
    client = _client(site.app, role)
    fields = site.posts.get(rule.endpoint) or site.other_posts
    urls = _real_urls(rule, site.path_values)
    for i, data in enumerate(_sweep(fields, long="x" * 10_000)):
        url = urls[i % len(urls)]
        _check(client.post(url, data=data), f"POST {url} {data!r:.300}")
    if not rule.defaults:  # /admin/zones/new and /admin/zones/<id>: one endpoint, sent once
        for url, form in site.forms.get(rule.endpoint, {}).values():
            response = client.post(url, data=form.offered())
            _check(response, f"POST {url} {form.offered()!r:.300}")
            if _refused(response):
                continue
            for data in _one_at_a_time(form):
                _check(client.post(url, data=data), f"POST {url} {data!r:.300}")

    @BOUNDED
    @given(url=path_strategy(rule, site), data=params_strategy(fields))
    def check(url, data):
        _check(client.post(url, data=_uploads(data)), f"POST {url} {data!r:.300}")

    check()
