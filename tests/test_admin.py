"""Administration: users, zones, sectors, eligibility, baselines, reasons — each change audited."""

from __future__ import annotations

import re

import pytest

from portal.extensions import db
from portal.models import (
    AuditEntry,
    Baseline,
    RejectionReason,
    Sector,
    User,
    UserSession,
    Zone,
    ZoneContact,
)
from portal.services import DomainError
from portal.services import admin as admin_service
from tests.conftest import PASSWORD, count_queries
from tests.factories import UserFactory, sector, zone
from tests.test_apply import company_data

ADMIN_PAGES = [
    "/admin/",
    "/admin/users",
    "/admin/zones",
    "/admin/zones/new",
    "/admin/zones/{zone}",
    "/admin/sectors",
    "/admin/sectors/new",
    "/admin/sectors/{sector}",
    "/admin/eligibility",
    "/admin/baselines",
    "/admin/baselines/new",
    "/admin/baselines/{baseline}",
    "/admin/reasons",
    "/admin/reasons/new",
    "/admin/reasons/{reason}",
    "/admin/contacts",
    "/admin/contacts/new",
    "/admin/contacts/{contact}",
    "/admin/audit",
    "/admin/mail",
]
ADMIN_POSTS = [
    "/admin/users/invite",
    "/admin/users/{user}/role",
    "/admin/users/{user}/active",
    "/admin/zones/new",
    "/admin/zones/{zone}",
    "/admin/sectors/{sector}",
    "/admin/eligibility",
    "/admin/baselines/{baseline}",
    "/admin/reasons/new",
    "/admin/contacts/new",
    "/admin/contacts/{contact}",
    "/admin/mail/retry-all",
]


def ids(user=None) -> dict:
    return {
        "zone": zone("KEG-IND").id,
        "sector": sector("textiles").id,
        "baseline": db.session.scalar(db.select(Baseline.id).where(Baseline.label == "2016")),
        "reason": db.session.scalar(db.select(RejectionReason.id).limit(1)),
        "contact": _a_contact().id,
        "user": user.id if user else 1,
    }


def _a_contact() -> ZoneContact:
    """A contact to open, made directly (not through the audited service)."""
    contact = db.session.scalar(db.select(ZoneContact).limit(1))
    if contact is None:
        contact = ZoneContact(office="Help desk", phone="+7 727 000 00 00")
        db.session.add(contact)
        db.session.commit()
    return contact


def errors(response) -> dict[str, str]:
    html = response.get_data(as_text=True)
    return dict(re.findall(r'<p class="error" id="([\w-]+)-error">([^<]*)</p>', html))


# What people do with their own accounts (sign-ins, passwords, sessions) is in the log too;
# `audit_entries()` leaves it out, to look at what administrators changed.
ACCOUNT_EVENTS = ("login.", "logout", "password.", "session.", "email.")
ADDRESS = "203.0.113.7"


def audit_entries(action: str | None = None) -> list[AuditEntry]:
    stmt = db.select(AuditEntry).order_by(AuditEntry.id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    else:
        stmt = stmt.where(~db.or_(*(AuditEntry.action.startswith(a) for a in ACCOUNT_EVENTS)))
    return list(db.session.scalars(stmt))


@pytest.fixture
def admin_client(client, auth, admin):
    auth.login(admin)
    return client


def zone_data(**overrides) -> dict:
    data = {
        "code": "ALT",
        "name": "Altynkol railway station",
        "description": "The Kazakh side of the Khorgos rail crossing.",
        "timezone": "Asia/Almaty",
        "active": "y",
    }
    data.update(overrides)
    return data


# --- access -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_send_anonymous_visitors_to_login(client, path):
    response = client.get(path.format(**ids()))
    assert response.status_code == 302
    assert "/login?next=" in response.location


@pytest.mark.parametrize("role", ["investor", "reviewer"])
@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_are_forbidden_to_investors_and_reviewers(client, auth, role, path):
    auth.login(UserFactory(role=role))
    assert client.get(path.format(**ids())).status_code == 403


@pytest.mark.parametrize("role", ["investor", "reviewer"])
@pytest.mark.parametrize("path", ADMIN_POSTS)
def test_admin_changes_are_forbidden_to_investors_and_reviewers(client, auth, role, path):
    user = UserFactory(role=role)
    auth.login(user)
    data = {
        "role": "admin",
        f"user-{user.id}-role": "admin",
        "active": "0",
        "email": "new-admin@example.com",
        "locale": "en",
        **zone_data(),
    }
    assert client.post(path.format(**ids(user)), data=data).status_code == 403
    assert db.session.get(User, user.id).role == role
    assert audit_entries() == []
    assert db.session.scalar(db.select(User).where(User.email == "new-admin@example.com")) is None


def test_admin_sees_the_administration_link_and_others_do_not(client, auth, admin, reviewer):
    auth.login(reviewer)
    assert 'href="/admin/"' not in client.get("/").get_data(as_text=True)
    auth.logout()
    auth.login(admin)
    html = client.get("/").get_data(as_text=True)
    assert 'href="/admin/">Administration</a>' in html


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_open_for_an_admin(admin_client, path):
    assert admin_client.get(path.format(**ids())).status_code == 200


# --- users ------------------------------------------------------------------------------------


def test_admin_changes_a_role_and_the_audit_log_says_who_from_what_and_where(admin_client, admin):
    admin_client.environ_base["REMOTE_ADDR"] = ADDRESS
    user = UserFactory(role="investor", email="aliya@example.com")
    response = admin_client.post(
        f"/admin/users/{user.id}/role?q=aliya", data={f"user-{user.id}-role": "reviewer"}
    )
    assert response.status_code == 302
    assert response.location.endswith("/admin/users?q=aliya")
    assert db.session.get(User, user.id).role == "reviewer"
    [entry] = audit_entries("user.role")
    assert entry.actor_id == admin.id
    assert entry.target == f"user #{user.id} aliya@example.com"
    assert entry.details == "role: investor → reviewer"
    assert entry.ip_address == ADDRESS


def test_admin_cannot_remove_their_own_admin_role(admin_client, admin):
    response = admin_client.post(
        f"/admin/users/{admin.id}/role", data={f"user-{admin.id}-role": "reviewer"}
    )
    assert response.status_code == 422
    assert "cannot remove your own administrator role" in errors(response)[f"user-{admin.id}-role"]
    assert db.session.get(User, admin.id).role == "admin"
    assert audit_entries() == []


def test_admin_cannot_deactivate_themselves(admin_client, admin):
    response = admin_client.post(f"/admin/users/{admin.id}/active", data={"active": "0"})
    assert response.status_code == 302
    assert "cannot deactivate your own account" in admin_client.get(response.location).get_data(
        as_text=True
    )
    assert db.session.get(User, admin.id).active
    assert admin_service.set_role(admin, "admin", admin) is False


def test_another_admin_can_demote_an_admin(admin_client, admin):
    other = UserFactory(role="admin")
    admin_client.post(f"/admin/users/{other.id}/role", data={f"user-{other.id}-role": "investor"})
    assert db.session.get(User, other.id).role == "investor"


def test_deactivated_user_is_signed_out_everywhere_and_cannot_sign_in(app, admin_client, admin):
    investor = UserFactory(role="investor")
    investor_browser = app.test_client()
    investor_browser.post("/login", data={"email": investor.email, "password": PASSWORD})
    assert investor_browser.get("/applications/").status_code == 200

    admin_client.environ_base["REMOTE_ADDR"] = ADDRESS
    response = admin_client.post(f"/admin/users/{investor.id}/active", data={"active": "0"})
    assert response.status_code == 302
    assert "is deactivated and signed out" in admin_client.get(response.location).get_data(
        as_text=True
    )

    response = investor_browser.get("/applications/")
    assert response.status_code == 302
    assert "/login" in response.location
    sessions = db.session.scalars(db.select(UserSession).where(UserSession.user_id == investor.id))
    assert all(s.revoked_at is not None for s in sessions)
    investor_browser.post("/login", data={"email": investor.email, "password": PASSWORD})
    assert investor_browser.get("/applications/").status_code == 302

    [entry] = audit_entries("user.deactivate")
    assert entry.actor_id == admin.id
    assert entry.details == "active: True → False; sessions ended: 1"
    assert entry.ip_address == ADDRESS

    admin_client.post(f"/admin/users/{investor.id}/active", data={"active": "1"})
    investor_browser.post("/login", data={"email": investor.email, "password": PASSWORD})
    assert investor_browser.get("/applications/").status_code == 200
    assert [e.action for e in audit_entries()] == ["user.deactivate", "user.activate"]


def test_users_list_searches_by_email_and_filters_by_role(admin_client):
    UserFactory(email="gulnara@khorgos.kz", role="reviewer")
    UserFactory(email="gulmira@example.com", role="investor")
    UserFactory(email="wang.fang@example.cn", role="reviewer")
    html = admin_client.get("/admin/users?q=GUL").get_data(as_text=True)
    assert "gulnara@khorgos.kz" in html and "gulmira@example.com" in html
    assert "wang.fang@example.cn" not in html
    html = admin_client.get("/admin/users?q=gul&role=reviewer").get_data(as_text=True)
    assert "gulnara@khorgos.kz" in html
    assert "gulmira@example.com" not in html
    # A search for a LIKE wildcard is a search for the character.
    assert "No user matches." in admin_client.get("/admin/users?q=%25").get_data(as_text=True)


def test_users_list_is_paginated_with_a_fixed_number_of_queries(admin_client):
    UserFactory.create_batch(3)
    few = count_queries(admin_client, "/admin/users")
    UserFactory.create_batch(40)
    many = count_queries(admin_client, "/admin/users")
    assert few == many
    html = admin_client.get("/admin/users").get_data(as_text=True)
    assert "Page 1 of 2" in html
    assert html.count('<th scope="row">') == admin_service_per_page()
    assert "Page 2 of 2" in admin_client.get("/admin/users?page=2").get_data(as_text=True)


def test_users_pages_keep_the_filters_and_mark_the_current_page(admin_client):
    for n in range(30):
        UserFactory(email=f"bulk{n:02d}@example.com")
    first = admin_client.get("/admin/users?q=bulk").get_data(as_text=True)
    assert '<nav class="pagination" aria-label="Pages">' in first
    assert 'href="/admin/users?page=1&amp;q=bulk" aria-current="page"' in first
    assert 'href="/admin/users?page=2&amp;q=bulk" rel="next"' in first
    second = admin_client.get("/admin/users?q=bulk&page=2").get_data(as_text=True)
    assert "Page 2 of 2" in second
    assert 'href="/admin/users?page=1&amp;q=bulk" rel="prev"' in second
    # A row's form comes back to the page it was sent from.
    assert "/active?q=bulk&amp;page=2" in second


def admin_service_per_page() -> int:
    from portal.admin.views import PER_PAGE

    return PER_PAGE


# --- zones and sectors ------------------------------------------------------------------------


def test_admin_creates_a_zone_and_the_change_is_audited(admin_client, admin):
    response = admin_client.post("/admin/zones/new", data=zone_data(code="alt"))
    assert response.status_code == 302
    created = zone("ALT")
    assert created.timezone == "Asia/Almaty" and created.active
    [entry] = audit_entries("zone.create")
    assert entry.actor_id == admin.id
    assert 'code: "ALT"' in entry.details and 'timezone: "Asia/Almaty"' in entry.details


def test_zone_edit_records_from_and_to(admin_client, admin):
    lyg = zone("LYG")
    data = zone_data(code="LYG", name=lyg.name, description=lyg.description, timezone="Asia/Urumqi")
    del data["active"]
    assert admin_client.post(f"/admin/zones/{lyg.id}", data=data).status_code == 302
    lyg = zone("LYG")
    assert lyg.timezone == "Asia/Urumqi" and not lyg.active
    [entry] = audit_entries("zone.update")
    assert entry.target == "zone LYG"
    assert entry.details == 'timezone: "Asia/Shanghai" → "Asia/Urumqi"; active: True → False'


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"timezone": "Asia/Khorgos"}, "timezone", "Not a known time zone"),
        ({"code": "ICBC"}, "code", "ICBC is already used"),
        ({"code": "KEG IND"}, "code", "capital letters, digits and dashes"),
    ],
)
def test_zone_form_refuses_bad_input_next_to_the_field(admin_client, overrides, field, message):
    response = admin_client.post("/admin/zones/new", data=zone_data(**overrides))
    assert response.status_code == 422
    assert message in errors(response)[field]
    assert 'value="Altynkol railway station"' in response.get_data(as_text=True)
    assert audit_entries() == []


def test_zone_code_cannot_change_once_applications_use_it(admin_client):
    from tests.factories import ApplicationFactory

    keg = zone("KEG-IND")
    ApplicationFactory(zone=keg)
    data = zone_data(code="KEG-MFG", name=keg.name, timezone=keg.timezone)
    response = admin_client.post(f"/admin/zones/{keg.id}", data=data)
    assert response.status_code == 422
    assert "cannot change" in errors(response)["code"]
    assert zone("KEG-IND") is not None


def test_admin_adds_and_renames_a_sector(admin_client, admin):
    response = admin_client.post(
        "/admin/sectors/new", data={"code": "mining", "name": "Mining", "active": "y"}
    )
    assert response.status_code == 302
    mining = sector("mining")
    admin_client.post(f"/admin/sectors/{mining.id}", data={"code": "mining", "name": "Mining"})
    mining = sector("mining")
    assert mining.name == "Mining" and not mining.active
    assert [e.details for e in audit_entries()] == [
        'code: "mining"; name: "Mining"; active: True',
        "active: True → False",
    ]
    response = admin_client.post(
        "/admin/sectors/new", data={"code": "textiles", "name": "Cloth", "active": "y"}
    )
    assert "textiles is already used" in errors(response)["code"]


def test_a_sector_added_by_an_admin_reads_in_each_language_they_typed(admin_client, client):
    data = {"code": "mining", "name": "Mining", "active": "y", "name_ru": "Горное дело"}
    assert (
        admin_client.post("/admin/sectors/new", data={**data, "name_zh": "采矿"}).status_code == 302
    )
    mining = sector("mining")
    industrial = zone("KEG-IND")
    industrial.sectors.append(mining)
    db.session.commit()
    assert 'name_ru: "Горное дело"; name_zh: "采矿"' in audit_entries()[-1].details
    edit = admin_client.get(f"/admin/sectors/{mining.id}").get_data(as_text=True)
    assert 'value="Горное дело"' in edit and 'value="采矿"' in edit
    assert re.search(r'<input[^>]*id="name_zh" lang="zh"', edit)  # typed and read as Chinese

    def home(lang: str) -> str:
        visitor = client.application.test_client()
        visitor.post("/language", data={"code": lang})
        return visitor.get("/").get_data(as_text=True)

    assert "<li>Горное дело</li>" in home("ru")
    assert "<li>采矿</li>" in home("zh")
    assert "<li>Mining</li>" in home("kk")  # nothing typed for Kazakh: the English name
    assert "<li>Mining</li>" in home("en")
    # Clearing a language goes back to the English name, and the log says what changed.
    admin_client.post(f"/admin/sectors/{mining.id}", data={**data, "name_zh": ""})
    assert "<li>Mining</li>" in home("zh")
    assert audit_entries()[-1].details == 'name_zh: "采矿" → ""'
    # A seeded sector keeps the catalog's translation until an admin types another.
    assert "<li>Текстиль</li>" in home("ru")


def test_saving_without_changes_records_nothing(admin_client):
    pharma = sector("pharma")
    data = {"code": "pharma", "name": pharma.name, "active": "y"}
    assert admin_client.post(f"/admin/sectors/{pharma.id}", data=data).status_code == 302
    assert audit_entries() == []


# --- the eligibility matrix -------------------------------------------------------------------


def matrix_data(pairs: set[tuple[str, str]]) -> dict:
    data = {"action": "save"}
    for zone_code, sector_code in pairs:
        data[f"z{zone(zone_code).id}_s{sector(sector_code).id}"] = "y"
    return data


def current_pairs() -> set[tuple[str, str]]:
    zones = {z.id: z.code for z in db.session.scalars(db.select(Zone))}
    sectors = {s.id: s.code for s in db.session.scalars(db.select(Sector))}
    return {(zones[z], sectors[s]) for z, s in admin_service.eligible_pairs()}


def test_eligibility_matrix_page_is_a_labelled_table_of_checkboxes(admin_client):
    html = admin_client.get("/admin/eligibility").get_data(as_text=True)
    assert '<th scope="col">Textiles</th>' in html
    assert re.search(r'<th scope="row">KEG-LOG<small>', html)
    keg_log, logistics = zone("KEG-LOG").id, sector("logistics").id
    name = f"z{keg_log}_s{logistics}"
    assert re.search(rf'<input checked id="{name}" name="{name}" type="checkbox"', html)
    assert f'<label for="{name}">KEG-LOG admits Logistics</label>' in html


def test_eligibility_change_is_audited_and_refused_on_the_company_step(
    app, admin_client, admin, auth
):
    before = current_pairs()
    assert ("KEG-IND", "textiles") in before
    after = (before - {("KEG-IND", "textiles")}) | {("KEG-LOG", "pharma")}
    response = admin_client.post("/admin/eligibility", data=matrix_data(after))
    assert response.status_code == 302
    assert current_pairs() == after
    [entry] = audit_entries("eligibility.update")
    assert entry.actor_id == admin.id
    assert entry.details == "added: KEG-LOG × pharma; removed: KEG-IND × textiles"

    investor = UserFactory(role="investor")
    investor_browser = app.test_client()
    investor_browser.post("/login", data={"email": investor.email, "password": PASSWORD})
    new = investor_browser.post("/applications/new")
    step = new.location
    data = company_data()  # KEG-IND × textiles, no longer admitted
    response = investor_browser.post(step, data=data)
    assert response.status_code == 422
    assert "does not admit the Textiles sector" in errors(response)["sector_id"]
    data.update(zone_id=str(zone("KEG-LOG").id), sector_id=str(sector("pharma").id))
    assert investor_browser.post(step, data=data).status_code == 302


def test_eligibility_saved_unchanged_records_nothing(admin_client):
    assert (
        admin_client.post("/admin/eligibility", data=matrix_data(current_pairs())).status_code
        == 302
    )
    assert audit_entries() == []


# --- baselines and rejection reasons ----------------------------------------------------------


def test_baselines_list_shows_the_pace_per_day(admin_client):
    html = admin_client.get("/admin/baselines").get_data(as_text=True)
    assert re.search(r">2016</a></th>.*?>2,406<.*?>366<.*?>6.57<", html, re.S)
    assert re.search(r">2017</a></th>.*?>7,300<.*?>365<.*?>20<", html, re.S)


def test_admin_adds_a_target_and_edits_a_baseline(admin_client, admin):
    data = {"label": "2026 target", "kind": "target", "year": "2026", "registrations": "9000"}
    response = admin_client.post("/admin/baselines/new", data={**data, "days": "300"})
    assert response.status_code == 302
    html = admin_client.get("/admin/baselines").get_data(as_text=True)
    assert re.search(r">2026 target</a></th>.*?>9,000<.*?>300<.*?>30<", html, re.S)

    b2017 = db.session.scalar(db.select(Baseline).where(Baseline.label == "2017"))
    data = {"label": "2017", "kind": "year", "year": "2017", "registrations": "7310", "days": ""}
    assert admin_client.post(f"/admin/baselines/{b2017.id}", data=data).status_code == 302
    assert db.session.get(Baseline, b2017.id).registrations == 7310
    entry = audit_entries("baseline.update")[0]
    assert entry.actor_id == admin.id
    assert entry.details == "registrations: 7300 → 7310"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"days": "0"}, "days", "between 1 and 366"),
        ({"days": "367", "kind": "target"}, "days", "between 1 and 366"),
        ({"days": "365", "year": "2016"}, "days", "2016 had 366 days"),
        ({"registrations": "0"}, "registrations", "above zero"),
        ({"label": "2016"}, "label", "2016 is already used"),
        ({"days": "many"}, "days", "Not a valid integer"),
    ],
)
def test_baseline_form_refuses_bad_input_next_to_the_field(admin_client, overrides, field, message):
    data = {"label": "2018", "kind": "year", "year": "2018", "registrations": "8000", "days": "365"}
    response = admin_client.post("/admin/baselines/new", data={**data, **overrides})
    assert response.status_code == 422
    assert message in errors(response)[field]
    assert audit_entries() == []


def test_admin_keeps_the_list_of_rejection_reasons(admin_client, admin):
    data = {"code": "sanctions", "label": "A founder is under sanctions", "active": "y"}
    assert admin_client.post("/admin/reasons/new", data=data).status_code == 302
    reason = db.session.scalar(
        db.select(RejectionReason).where(RejectionReason.code == "sanctions")
    )
    assert (
        admin_client.post(
            f"/admin/reasons/{reason.id}", data={"code": "sanctions", "label": data["label"]}
        ).status_code
        == 302
    )
    assert not db.session.get(RejectionReason, reason.id).active
    assert [e.action for e in audit_entries()] == ["reason.create", "reason.update"]
    assert all(e.actor_id == admin.id for e in audit_entries())


# --- the help pages' contacts -----------------------------------------------------------------


def contact_data(**overrides) -> dict:
    data = {
        "zone_id": str(zone("KEG-IND").id),
        "office": "Investor service",
        "office_zh": "投资者服务处",
        "address": "Nurkent, Panfilov district",
        "phone": "+7 728 000 00 02",
        "email": "Service@KEG.example.kz",
        "hours": "Monday to Friday, 9:00-18:00",
        "position": "1",
        "active": "y",
    }
    data.update(overrides)
    return data


def test_admin_adds_a_contact_the_help_pages_show_in_each_language(admin_client, admin, client):
    response = admin_client.post("/admin/contacts/new", data=contact_data())

    assert response.status_code == 302
    assert response.location.endswith("/admin/contacts")
    contact = db.session.scalar(db.select(ZoneContact))
    assert contact.email == "service@keg.example.kz"
    assert contact.zone.code == "KEG-IND"
    (entry,) = audit_entries()
    assert (entry.action, entry.target, entry.actor_id) == (
        "contact.create",
        "contact Investor service",
        admin.id,
    )
    assert 'office_zh: "投资者服务处"' in entry.details
    listed = admin_client.get("/admin/contacts").get_data(as_text=True)
    assert "Investor service</a></th>" in listed

    admin_client.post("/language", data={"code": "zh"})
    help_page = admin_client.get("/help").get_data(as_text=True)
    assert "<h4>投资者服务处</h4>" in help_page
    assert "Service@KEG" not in help_page and "service@keg.example.kz" in help_page


def test_a_contact_edit_records_from_and_to_and_deactivating_hides_it(admin_client, admin):
    admin_client.post("/admin/contacts/new", data=contact_data())
    contact = db.session.scalar(db.select(ZoneContact))

    data = contact_data(phone="+7 728 000 00 09")
    del data["active"]
    response = admin_client.post(f"/admin/contacts/{contact.id}", data=data)

    assert response.status_code == 302
    entry = audit_entries("contact.update")[0]
    assert entry.details == 'phone: "+7 728 000 00 02" → "+7 728 000 00 09"; active: True → False'
    contacts = admin_client.get("/help").get_data(as_text=True).split('id="contacts-h"')[1]
    assert "Investor service" not in contacts


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"office": ""}, "office", "This field is required."),
        ({"phone": "", "email": ""}, "phone", "Give a phone number or an e-mail address."),
        ({"email": "service.keg.example.kz"}, "email", "Enter a valid e-mail address."),
        ({"phone": "call us"}, "phone", "with its country code"),
        ({"zone_id": "99999"}, "zone_id", "Not a valid choice."),
        ({"position": "first"}, "position", "Not a valid integer"),
    ],
)
def test_contact_form_refuses_bad_input_next_to_the_field(admin_client, overrides, field, message):
    response = admin_client.post("/admin/contacts/new", data=contact_data(**overrides))

    assert response.status_code == 422
    assert message in errors(response)[field]
    assert 'value="Nurkent, Panfilov district"' in response.get_data(as_text=True)
    assert audit_entries() == []


# --- the audit log ----------------------------------------------------------------------------


def test_audit_log_lists_newest_first_and_filters_by_action_and_actor(admin_client, admin):
    other_admin = UserFactory(role="admin", email="other.admin@example.com")
    admin_service.set_role(UserFactory(email="first@example.com"), "reviewer", other_admin)
    admin_service.create("sector", admin, code="mining", name="Mining", active=True)
    db.session.commit()

    html = admin_client.get("/admin/audit").get_data(as_text=True)
    assert html.index("sector mining") < html.index("user #")
    html = admin_client.get("/admin/audit?action=user.role").get_data(as_text=True)
    assert "first@example.com" in html and "sector mining" not in html
    html = admin_client.get(f"/admin/audit?actor={admin.id}").get_data(as_text=True)
    assert "sector mining" in html and "first@example.com" not in html
    # An unknown filter value is ignored, not a crash.
    assert admin_client.get("/admin/audit?actor=abc&action=x").status_code == 200


def test_audit_log_shows_security_events_by_name_with_the_client_address(
    app, admin_client, investor
):
    stranger = app.test_client()
    stranger.environ_base["REMOTE_ADDR"] = ADDRESS
    stranger.post("/login", data={"email": investor.email, "password": "a wrong guess"})
    stranger.post("/login", data={"email": "nobody@example.com", "password": "a wrong guess"})
    stranger.post("/login", data={"email": investor.email, "password": PASSWORD})

    html = admin_client.get("/admin/audit?action=login.failure").get_data(as_text=True)
    rows = re.findall(r"<tr>\s*<td>.*?</tr>", html, re.DOTALL)
    assert len(rows) == 2
    assert all("Sign-in failed" in row and f"<td>{ADDRESS}</td>" in row for row in rows)
    assert "nobody@example.com" in rows[0] and "a visitor" in rows[0]
    assert investor.email in rows[1]
    html = admin_client.get("/admin/audit").get_data(as_text=True)
    assert "Signed in" in html
    assert '<option value="login.success">Signed in</option>' in html


def test_audit_log_is_paginated_with_a_fixed_number_of_queries(admin_client, admin):
    for n in range(3):
        admin_service.record(admin, "test.action", f"thing {n}")
    db.session.commit()
    few = count_queries(admin_client, "/admin/audit")
    others = UserFactory.create_batch(5, role="admin")
    for n in range(40):
        admin_service.record(others[n % 5], "test.action", f"thing {n}")
    db.session.commit()
    assert count_queries(admin_client, "/admin/audit") == few
    assert "Page 1 of 2" in admin_client.get("/admin/audit").get_data(as_text=True)


def test_service_refuses_what_the_forms_cannot_send(admin):
    with pytest.raises(DomainError) as refused:
        admin_service.set_role(UserFactory(), "superuser", admin)
    assert refused.value.field == "role"
    with pytest.raises(DomainError):
        admin_service.set_eligibility({(10_000, sector("textiles").id): True}, admin)


def test_the_last_active_administrator_cannot_be_demoted_or_deactivated(app, admin):
    other = UserFactory(role="admin")
    # With two admins, one may lose the role ...
    assert admin_service.set_role(other, "reviewer", admin)
    db.session.commit()
    # ... but the last one may not, whoever asks (here a CLI-made operator acting on the data).
    operator = UserFactory(role="reviewer")
    with pytest.raises(DomainError, match="at least one active administrator"):
        admin_service.set_role(admin, "investor", operator)
    with pytest.raises(DomainError, match="at least one active administrator"):
        admin_service.set_active(admin, False, operator)


# --- invitations -----------------------------------------------------------------------------


def invite(admin_client, **overrides):
    data = {"email": "Gulnara@Example.com", "full_name": "Gulnara Abenova", "role": "reviewer"}
    return admin_client.post("/admin/users/invite", data={"locale": "en", **data, **overrides})


def test_an_invited_reviewer_chooses_a_password_and_works_the_queue(
    app, admin_client, admin, outbox
):
    response = invite(admin_client, locale="ru")
    assert response.status_code == 302
    user = db.session.scalar(db.select(User).where(User.email == "gulnara@example.com"))
    assert (user.role, user.full_name, user.locale) == ("reviewer", "Gulnara Abenova", "ru")
    assert not user.is_confirmed
    assert "gulnara@example.com is invited" in admin_client.get("/admin/users").get_data(
        as_text=True
    )
    (entry,) = audit_entries()
    assert (entry.action, entry.actor_id) == ("user.invite", admin.id)
    # The invitation is in the language the admin chose, and names who invited whom as what.
    (message,) = outbox.messages()
    assert message["To"] == "gulnara@example.com"
    text = message.get_body(("plain",)).get_content()
    assert "Проверяющий" in text
    assert admin.full_name in text or admin.email in text
    # The invitee opens the link on another device, chooses a password and signs in.
    invitee = app.test_client()
    path = outbox.last_link("/reset/").split("localhost", 1)[1]
    assert invitee.get(path).status_code == 200
    chosen = "a caravan crosses the Ili river"
    response = invitee.post(path, data={"password": chosen, "password_confirm": chosen})
    assert response.status_code == 302
    signed_in = invitee.post("/login", data={"email": "gulnara@example.com", "password": chosen})
    assert signed_in.headers["Location"].endswith("/review/")
    db.session.refresh(user)
    assert user.is_confirmed  # following the e-mailed link proves the address
    assert invitee.get(path).status_code == 400  # the link works once


def test_an_invitation_outlives_a_reset_link_but_not_its_week(app, admin_client, outbox):
    from datetime import timedelta

    import time_machine

    from portal.models.base import utcnow

    invite(admin_client)
    path = outbox.last_link("/reset/").split("localhost", 1)[1]
    with time_machine.travel(utcnow() + timedelta(days=6)):
        assert app.test_client().get(path).status_code == 200
    with time_machine.travel(utcnow() + timedelta(days=8)):
        late = app.test_client().get(path)
    assert late.status_code == 400
    assert "expired" in late.get_data(as_text=True)


def test_an_invitation_for_a_taken_or_malformed_address_is_refused_next_to_the_field(
    admin_client, investor, outbox
):
    taken = invite(admin_client, email=investor.email.upper(), full_name="Typed Name")
    assert taken.status_code == 422
    assert "already exists" in errors(taken)["email"]
    page = taken.get_data(as_text=True)
    assert 'value="Typed Name"' in page  # nothing typed is lost
    assert '<a href="/admin/users" aria-current="page">Users</a>' in page
    assert '<details class="card invite" open>' in page
    malformed = invite(admin_client, email="not-an-address")
    assert malformed.status_code == 422
    assert errors(malformed)["email"] == "Enter a valid e-mail address."
    assert invite(admin_client, locale="xx").status_code == 422
    assert outbox.messages() == []
    assert audit_entries() == []


def test_nobody_signs_in_to_an_invited_account_before_the_password_is_chosen(
    app, admin_client, client
):
    invite(admin_client)
    user = db.session.scalar(db.select(User).where(User.email == "gulnara@example.com"))
    for guess in ("", PASSWORD, user.password_hash):
        response = app.test_client().post(
            "/login", data={"email": "gulnara@example.com", "password": guess}
        )
        assert response.status_code != 302


def test_audit_log_times_are_in_utc_as_its_heading_says(admin_client, admin):
    from datetime import UTC, datetime

    entry = admin_service.record(admin, "user.role", "user #1 x@example.com")
    entry.created_at = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # 04:30 on 2 March in Almaty
    db.session.commit()

    html = admin_client.get("/admin/audit").get_data(as_text=True)

    assert "When (UTC)" in html
    assert "Mar 1, 2026, 11:30\u202fPM" in html  # without seconds
    assert "Mar 2, 2026" not in html
