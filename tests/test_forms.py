"""Forms as people meet them: Enter presses the main action, every error is marked and
summarised, sign-up says everything at once, a submission is confirmed by e-mail, ids are unique."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime
from html import unescape
from html.parser import HTMLParser

import pytest
import time_machine

from portal import lifecycle
from portal.extensions import db
from portal.models import Application, OutgoingEmail
from portal.services import applications as app_service
from portal.services import review
from tests.conftest import PASSWORD, csrf_token_in
from tests.factories import UserFactory, complete_application, sector, zone
from tests.test_apply import company_data, errors, founders_data, new_application


class Forms(HTMLParser):
    """The POST forms of a page's <main>, each as its submit buttons in document order."""

    def __init__(self, html: str):
        super().__init__()
        self.forms: list[list[dict]] = []
        self._in_main = self._in_form = False
        self._button: dict | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "main":
            self._in_main = True
        elif tag == "form" and self._in_main and attrs.get("method") == "post":
            self._in_form = True
            self.forms.append([])
        elif tag == "button" and self._in_form and attrs.get("type", "submit") == "submit":
            self._button = {**attrs, "text": ""}
            self.forms[-1].append(self._button)

    def handle_endtag(self, tag):
        if tag == "main":
            self._in_main = False
        elif tag == "form":
            self._in_form = False
        elif tag == "button":
            self._button = None

    def handle_data(self, data):
        if self._button is not None:
            self._button["text"] += data.strip()


def form_with(html: str, value: str) -> list[dict]:
    """The buttons of the form that has a button with this value."""
    (buttons,) = [f for f in Forms(html).forms if any(b.get("value") == value for b in f)]
    return buttons


# --- Enter in a field --------------------------------------------------------------------------


@pytest.mark.parametrize("step", ["company", "investment", "founders", "owners"])
def test_enter_in_a_field_of_a_step_saves_and_continues(investor_client, investor, step):
    # A browser's implicit submission (Enter in a field) clicks the form's first submit button.
    application = complete_application(owner=investor)
    html = investor_client.get(f"/applications/{application.id}/step/{step}").get_data(as_text=True)
    first = form_with(html, "next")[0]
    assert (first["name"], first["value"]) == ("action", "next")
    assert first["text"] == "Save and continue"


def test_enter_on_the_founders_step_saves_rather_than_adding_or_removing_a_founder(
    investor_client,
):
    app_id = new_application(investor_client)
    rows = [("natural", "A One", "KZ", "50"), ("natural", "B Two", "CN", "50")]
    # Two rows, each with its "Remove" button, then "Add a founder", then the step's buttons.
    html = investor_client.post(
        f"/applications/{app_id}/step/founders", data=founders_data(rows, action="add")
    ).get_data(as_text=True)
    buttons = form_with(html, "next")
    assert [b["value"] for b in buttons][:1] == ["next"]
    assert {"remove-0", "remove-1", "add"} <= {b["value"] for b in buttons}
    # The copy that Enter presses is out of sight and of the Tab order; people see one button.
    hidden, *shown = [b for b in buttons if b["value"] == "next"]
    assert (hidden.get("aria-hidden"), hidden.get("tabindex")) == ("true", "-1")
    assert [b.get("aria-hidden") for b in shown] == [None]


def test_enter_on_the_documents_and_review_steps_presses_their_main_action(
    investor_client, investor
):
    application = complete_application(owner=investor)
    base = f"/applications/{application.id}/step"
    documents = investor_client.get(f"{base}/documents").get_data(as_text=True)
    assert form_with(documents, "next")[0]["text"] == "Continue to review"
    assert form_with(documents, "upload")[0]["text"] == "Upload"
    review_page = investor_client.get(f"{base}/review").get_data(as_text=True)
    (submit_form,) = Forms(review_page).forms
    assert submit_form[0]["text"] == "Submit the application"


# --- errors: marked, one message each, summarised ---------------------------------------------


def test_an_activity_code_without_dots_gets_only_the_format_message(investor_client):
    app_id = new_application(investor_client)
    response = investor_client.post(
        f"/applications/{app_id}/step/company", data=company_data(activity_code="1392")
    )
    assert response.status_code == 422
    assert errors(response)["activity_code"] == "Write the code as 13.92.0 or 13.92."
    assert "This field is required" not in response.get_data(as_text=True)


def test_a_number_that_does_not_parse_gets_only_its_own_message(investor_client):
    app_id = new_application(investor_client)
    data = {"investment_amount": "lots", "planned_jobs": "many", "action": "next"}
    found = errors(investor_client.post(f"/applications/{app_id}/step/investment", data=data))
    assert found["investment_amount"] == "Enter a number, for example 1500000.50."
    assert found["planned_jobs"] == "Not a valid integer value."
    rows = [("natural", "A One", "KZ", "thirty")]
    response = investor_client.post(
        f"/applications/{app_id}/step/founders", data=founders_data(rows)
    )
    assert errors(response)["founders-0-share"] == "Enter a number, for example 1500000.50."


def summary_links(html: str) -> dict[str, str]:
    """{field id: link text} of the error summary."""
    match = re.search(r'<div class="error-summary"[^>]*>(.*?)</ul>', html, re.S)
    assert match, "no error summary"
    assert "There is a problem" in match.group(1)
    return {
        field_id: unescape(text)
        for field_id, text in re.findall(r'<a href="#([\w-]+)">([^<]*)</a>', match.group(1))
    }


def test_every_field_in_error_is_marked_and_linked_from_the_summary(investor_client):
    app_id = new_application(investor_client)
    data = company_data(address="", activity_code="1392", contact_email="not an email")
    html = investor_client.post(f"/applications/{app_id}/step/company", data=data).get_data(
        as_text=True
    )
    links = summary_links(html)
    assert links == {
        "activity_code": "Economic activity code (OKED): Write the code as 13.92.0 or 13.92.",
        "address": "Address in the zone: This field is required.",
        "contact_email": "Contact e-mail: Enter a valid e-mail address.",
    }
    for field_id in links:
        tag = re.search(rf'<input [^>]*id="{field_id}"[^>]*>', html).group(0)
        assert 'aria-invalid="true"' in tag
        assert re.search(rf'aria-describedby="[^"]*\b{field_id}-error\b', tag)
        assert f'id="{field_id}-error"' in html
    # The summary comes before the form.
    assert html.index('class="error-summary"') < html.index('id="company_name"')
    assert "<h2>There is a problem</h2>" in html


def test_a_step_without_errors_has_no_summary(investor_client):
    app_id = new_application(investor_client)
    html = investor_client.get(f"/applications/{app_id}/step/company").get_data(as_text=True)
    assert "error-summary" not in html


def test_the_founders_summary_names_the_founder_and_links_the_shares(investor_client):
    app_id = new_application(investor_client)
    rows = [("natural", "A One", "KZ", "60"), ("legal", "", "CN", "30")]
    html = investor_client.post(
        f"/applications/{app_id}/step/founders", data=founders_data(rows)
    ).get_data(as_text=True)
    assert summary_links(html) == {
        "founders-1-name": "Founder 2 — Full name or company name: This field is required.",
    }
    rows[1] = ("legal", "Xinjiang Co.", "CN", "30")
    html = investor_client.post(
        f"/applications/{app_id}/step/founders", data=founders_data(rows)
    ).get_data(as_text=True)
    assert summary_links(html) == {
        "founders-0-share": "The founders' shares add up to 90%; they must add up to exactly 100%.",
    }


def test_signup_shows_every_problem_at_once(client):
    response = client.post(
        "/signup",
        data={
            "full_name": "",
            "email": "not-an-address",
            "password": "short",
            "password_confirm": "different",
        },
    )
    found = errors(response)
    assert found == {
        "full_name": "This field is required.",
        "email": "Enter a valid e-mail address.",
        "password": "Use at least 12 characters.",
        "password_confirm": "The passwords differ.",
    }
    assert set(summary_links(response.get_data(as_text=True))) == set(found)


def test_signup_refuses_a_common_password_beside_a_mismatch(client):
    response = client.post(
        "/signup",
        data={
            "full_name": "A",
            "email": "a@example.com",
            "password": "password1234",
            "password_confirm": "password12345",
        },
    )
    found = errors(response)
    assert "too common" in found["password"]
    assert found["password_confirm"] == "The passwords differ."


# --- the sector list follows the zone ----------------------------------------------------------


def test_each_zone_option_names_the_sectors_it_admits(investor_client):
    app_id = new_application(investor_client)
    html = investor_client.get(f"/applications/{app_id}/step/company").get_data(as_text=True)
    sectors = re.search(r'<select [^>]*id="sector_id"[^>]*>', html).group(0)
    assert 'data-narrowed-by="zone_id"' in sectors
    for code in ("ICBC", "KEG-IND", "KEG-LOG", "LYG"):
        z = zone(code)
        named = re.search(rf'<option data-sectors="([^"]*)" value="{z.id}"', html).group(1)
        assert sorted(map(int, named.split())) == sorted(s.id for s in z.sectors), code
    logistics_zone = re.search(rf'data-sectors="([^"]*)" value="{zone("KEG-LOG").id}"', html)
    assert str(sector("pharma").id) not in logistics_zone.group(1).split()


# --- the receipt -------------------------------------------------------------------------------

SUBMITTED_AT = datetime(2026, 11, 26, 4, 45, 31, tzinfo=UTC)  # 09:45 in Almaty (UTC+5)


def outbox_rows() -> list[OutgoingEmail]:
    return list(db.session.scalars(db.select(OutgoingEmail).order_by(OutgoingEmail.id)))


def test_submitting_mails_a_receipt_and_says_submitted_once(investor_client, investor):
    application = complete_application(owner=investor, company_name="Silk Thread LLP")
    response = investor_client.post(
        f"/applications/{application.id}/step/review", data={"confirm": "y"}
    )
    assert response.status_code == 302
    page = investor_client.get(response.location).get_data(as_text=True)
    assert page.lower().count("your application is submitted") == 1

    (message,) = outbox_rows()
    assert message.recipient == investor.email
    assert message.subject == "We received your application for Silk Thread LLP"
    body = message.body
    for expected in (
        f"Reference: application #{application.id}",
        "Company: Silk Thread LLP",
        "Zone: KEG-IND — ",
        "Sector: Textiles",
        "What happens next",
        f"http://localhost/applications/{application.id}",
    ):
        assert expected in body
    assert re.search(r"^Submitted: .*\d:\d\d.* \(Almaty time\)$", body, re.M)


def test_the_receipt_tells_the_time_on_the_zones_clock(app, investor):
    application = complete_application(owner=investor)  # in KEG-IND, on Almaty's clock (UTC+5)
    with time_machine.travel(SUBMITTED_AT, tick=False):
        app_service.submit(application, investor)
    (message,) = outbox_rows()
    submitted = re.search(r"Submitted: (.*)", message.body).group(1)
    assert re.fullmatch(r"Nov 26, 2026, 9:45\s?AM \(Almaty time\)", submitted), submitted


def test_the_receipt_is_in_the_investors_language(app):
    investor = UserFactory(role="investor", locale="ru")
    application = complete_application(owner=investor, zone=zone("LYG"), sector=sector("logistics"))
    with time_machine.travel(SUBMITTED_AT, tick=False):
        app_service.submit(application, investor)
    db.session.commit()
    (message,) = outbox_rows()
    assert message.body.startswith(f"Здравствуйте, {investor.full_name}!")
    # Lianyungang's clock (UTC+8), in Russian.
    # The zone named as on every page: the city in Russian (Babel), the words from the catalog.
    assert re.search(r"26\sнояб\.\s2026\sг\., 12:45 \(.*Шанхай.*\)", message.body)
    assert "Логистика" in message.body


def test_the_receipt_is_part_of_the_submission(app, investor):
    # Queued in the submission's transaction: no receipt for a submission that did not happen.
    application = complete_application(owner=investor)
    app_service.submit(application, investor)
    assert len(outbox_rows()) == 1
    db.session.rollback()
    assert outbox_rows() == []
    assert db.session.get(Application, application.id).status == lifecycle.DRAFT


def test_a_resubmission_is_receipted_too(app, reviewer):
    application = complete_application()
    with app.test_request_context():
        app_service.submit(application, application.owner)
        review.take(application, reviewer)
        review.request_info(application, reviewer, "Sign the charter.")
        db.session.commit()
        app_service.submit(application, application.owner, comment="Signed.")
        db.session.commit()
    receipts = [m for m in outbox_rows() if m.subject.startswith("We received")]
    assert len(receipts) == 2
    assert "again, with your changes" in receipts[-1].body


# --- ids ---------------------------------------------------------------------------------------


def signed_in(app, user):
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = csrf_token_in(html)
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    return client


def test_no_page_with_several_forms_repeats_an_id(app, make_app, reviewer, admin):
    # With CSRF on (the tests' app has it off), as people get the pages.
    csrf_app = make_app(WTF_CSRF_ENABLED=True)
    investor = UserFactory(role="investor")
    UserFactory.create_batch(3, role="investor")
    draft = complete_application(owner=investor)
    taken = complete_application()
    with app.test_request_context():
        app_service.submit(taken, taken.owner)
        review.take(taken, reviewer)
        db.session.commit()
    pages = {
        signed_in(csrf_app, investor): [
            f"/applications/{draft.id}/step/{step}" for step in app_service.STEPS
        ],
        signed_in(csrf_app, reviewer): [f"/review/applications/{taken.id}"],
        signed_in(csrf_app, admin): ["/admin/users"],
    }
    for client, urls in pages.items():
        for url in urls:
            html = client.get(url).get_data(as_text=True)
            repeated = [i for i, n in Counter(re.findall(r'\sid="([^"]+)"', html)).items() if n > 1]
            assert repeated == [], url
