"""Help: a guide per role in four languages, with the portal's real rules, the review times of
the dashboard's statistics and the contacts admins keep; linked from every step."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from portal import lifecycle
from portal.extensions import db
from portal.models import ZoneContact
from portal.models.base import utcnow
from portal.services import admin as admin_service
from portal.services import applications as app_service
from portal.services import help as help_service
from portal.services import stats
from tests import factories

LANGS = ("en", "ru", "kk", "zh")
# The letters of each language's script (for Kazakh, those Russian does not have).
SCRIPTS = {"en": r"[A-Za-z]", "ru": r"[А-Яа-яЁё]", "kk": r"[ӘәҒғҚқҢңӨөҰұҮүІі]", "zh": r"[一-鿿]"}


def in_language(client, lang: str) -> None:
    client.post("/language", data={"code": lang})


def article(html: str) -> str:
    """The text of the guide itself, without the page's frame and markup."""
    body = html.split('<div class="help-article">', 1)[1].split("<footer", 1)[0]
    return re.sub(r"<[^>]+>", " ", body)


def decided(days: list[float], zone_code="KEG-IND", sector_code="textiles", action="approve"):
    """Applications decided `days` after their submission, the decisions made a week ago."""
    reviewer = factories.UserFactory(role="reviewer")
    for duration in days:
        application = factories.ApplicationFactory(
            zone=factories.zone(zone_code), sector=factories.sector(sector_code)
        )
        decided_at = utcnow() - timedelta(days=7)
        factories.event(application, "submit", application.owner, decided_at - timedelta(duration))
        factories.event(application, "take", reviewer, decided_at - timedelta(hours=1))
        factories.event(application, action, reviewer, decided_at)


# --- the guides ------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("guide", help_service.GUIDES)
def test_each_guide_reads_in_each_language(client, lang, guide):
    in_language(client, lang)

    response = client.get(f"/help/{guide}")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'<html lang="{lang}">' in html
    letters = re.findall(SCRIPTS[lang], article(html))
    assert len(letters) > 300, "the guide is not written in the page's language"


@pytest.mark.parametrize("guide", help_service.GUIDES)
def test_every_language_fills_every_section_of_a_guide(app, guide):
    """A section added to a guide in English must be written in the other languages too."""
    blocks = {
        lang: set(app.jinja_env.get_template(f"main/help/{lang}/{guide}.html").blocks)
        for lang in LANGS
    }
    frame = set(app.jinja_env.get_template(f"main/help/_{guide}.html").blocks)
    prose = frame - {"title", "content", "sections", "head", "scripts"}
    assert prose, "the guide has no sections"
    for lang in LANGS:
        assert blocks[lang] == prose, lang


@pytest.mark.parametrize("guide", help_service.GUIDES)
def test_the_contents_lead_to_sections_of_the_page(client, guide):
    html = client.get(f"/help/{guide}").get_data(as_text=True)

    toc = html.split('class="card help-toc"', 1)[1].split("</nav>", 1)[0]
    anchors = re.findall(r'href="#([\w-]+)"', toc)
    assert len(anchors) >= 8
    for anchor in anchors:
        assert f'<section id="{anchor}"' in html


def test_an_unknown_guide_is_not_found(client):
    assert client.get("/help/wizards").status_code == 404


def test_the_help_page_offers_the_guide_of_each_role_and_marks_the_readers(client, auth, reviewer):
    html = client.get("/help").get_data(as_text=True)
    for guide in help_service.GUIDES:
        assert f'href="/help/{guide}"' in html
    assert re.search(r'class="card help-yours">\s*<h2><a href="/help/investors"', html)

    auth.login(reviewer)
    html = client.get("/help").get_data(as_text=True)
    assert re.search(r'class="card help-yours">\s*<h2><a href="/help/reviewers"', html)


def test_every_page_links_to_help_from_its_footer(client):
    html = client.get("/registry").get_data(as_text=True)

    footer = html.split('<footer class="site-footer">', 1)[1]
    assert '<a href="/help">Help and contacts</a>' in footer


def test_each_step_links_to_its_section_of_the_investors_guide(investor_client, investor):
    draft = factories.ApplicationFactory(owner=investor)
    guide = investor_client.get("/help/investors").get_data(as_text=True)

    for step in app_service.STEPS:
        html = investor_client.get(f"/applications/{draft.id}/step/{step}").get_data(as_text=True)
        assert f'href="/help/investors#step-{step}"' in html, step
        assert f'<section id="step-{step}"' in guide


# --- the real rules ---------------------------------------------------------------------------


def test_the_investors_guide_gives_the_upload_rules_the_portal_applies(app, client):
    app.config["MAX_DOCUMENT_BYTES"] = 7 * 1024 * 1024

    html = client.get("/help/investors").get_data(as_text=True)

    assert "Accepted files: PDF, PNG, JPEG, up to 7 MB each." in html
    for doc_type, required in (("Charter", "Required"), ("Business plan", "Optional")):
        assert re.search(rf"<th scope=\"row\">{doc_type}</th><td>{required}</td>", html)
    assert "a PDF of more than 2,000 pages" in html
    assert "KZT, CNY, USD, EUR, RUB" in html
    assert "Limited liability partnership (LLP)" in html
    # Which zone admits which sector, from the data admins edit.
    assert re.search(r"\(KEG-LOG\)</th><td>E-commerce, Logistics</td>", html)


# --- review times -----------------------------------------------------------------------------


def test_the_guides_give_the_review_times_of_the_dashboards_statistics(client):
    decided([1, 2, 3, 4, 10])
    decided([2], action="reject")  # rejections are decisions too
    end = stats.today()
    dashboard = stats.review_times(stats.Filters(end - timedelta(days=89), end)).reviewers[0]

    html = client.get("/help/investors").get_data(as_text=True)

    row = re.search(r'<th scope="row">All zones</th>(.*?)</tr>', html).group(1)
    cells = re.findall(r'<td class="num">([^<]*)</td>', row)
    assert cells == ["6", "2.5", "7"]
    assert dashboard.times.count == 6
    assert (str(dashboard.times.median), str(dashboard.times.p90)) == ("2.5", "7.0")
    # One zone had all of them, the others too few to say anything.
    assert "(KEG-IND)</th>" in html.split('id="review-times"', 1)[1]
    assert "(KEG-LOG)</th>" not in html.split('id="review-times"', 1)[1]


def test_the_guides_say_so_when_too_few_applications_were_decided(client):
    decided([1, 2, 3, 4])

    html = client.get("/help/reviewers").get_data(as_text=True)

    assert "Too few applications were decided in the last 90 days" in html
    assert "All zones</th>" not in html


@pytest.fixture
def waiting(app, investor):
    """The investor's application, submitted: it waits for a reviewer."""
    application = factories.complete_application(investor)
    with app.test_request_context():
        app_service.submit(application, investor)
        db.session.commit()
    return application


def test_a_waiting_application_says_when_applications_like_it_are_usually_decided(
    investor_client, waiting
):
    decided([1, 2, 2.5, 4, 9])  # the same zone and sector: a median of 2.5 days

    html = investor_client.get(f"/applications/{waiting.id}").get_data(as_text=True)

    assert "Applications like yours are usually decided within 3 days." in html


def test_applications_like_it_are_those_of_its_zone_when_its_sector_has_too_few(
    investor_client, waiting
):
    decided([1, 1, 1, 1, 1], sector_code="electronics")  # same zone, another sector
    decided([9, 9, 9, 9, 9], zone_code="KEG-LOG", sector_code="logistics")

    html = investor_client.get(f"/applications/{waiting.id}").get_data(as_text=True)

    assert "usually decided within 1 day." in html


def test_a_waiting_application_says_nothing_of_review_times_without_enough_decisions(
    investor_client, waiting
):
    decided([1, 2, 3, 4])

    html = investor_client.get(f"/applications/{waiting.id}").get_data(as_text=True)

    assert "usually decided within" not in html


def test_only_an_application_with_the_reviewers_says_when_it_is_usually_decided(
    investor_client, investor
):
    decided([1, 2, 3, 4, 5])
    draft = factories.complete_application(investor)
    registered = factories.registered_application(investor)

    for application in (draft, registered):
        html = investor_client.get(f"/applications/{application.id}").get_data(as_text=True)
        assert "usually decided within" not in html
    assert registered.status == lifecycle.APPROVED


# --- contacts ---------------------------------------------------------------------------------


def test_the_help_pages_list_the_active_contacts_zone_by_zone(app, client, admin):
    keg = factories.zone("KEG-IND")
    for values in (
        {"zone_id": keg.id, "office": "Investor service", "phone": "+7 728 000 00 02"},
        {"zone_id": None, "office": "Help desk", "email": "help@example.kz"},
        {"zone_id": keg.id, "office": "Closed office", "phone": "+7 728 111", "active": False},
    ):
        defaults = {"address": "", "phone": "", "email": "", "hours": "", "position": 0}
        admin_service.create("contact", admin, **{"active": True, **defaults, **values})
    db.session.commit()

    for url in ("/help", "/help/investors", "/help/administrators"):
        html = client.get(url).get_data(as_text=True)
        contacts = html.split('id="contacts-h"', 1)[1]
        assert contacts.index("Help desk") < contacts.index("Investor service"), url
        assert 'href="mailto:help@example.kz"' in contacts
        assert 'href="tel:+77280000002"' in contacts
        assert "Closed office" not in contacts


def test_the_help_pages_say_so_when_no_contact_is_published(client):
    assert db.session.scalar(db.select(db.func.count(ZoneContact.id))) == 0

    html = client.get("/help").get_data(as_text=True)

    assert "The zone administration has not published its contacts here yet." in html
