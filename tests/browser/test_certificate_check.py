"""A border officer checks a certificate where the network is poor: once /certificates/check is
open, it reads a photo of the QR code and checks its signature in the browser, offline."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from datetime import date

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from portal.services.certificates import qr_link, render_certificate
from tests import factories
from tests.browser.test_accessibility import assert_accessible

COMPANY = "Жібек Жолы 丝绸之路 LLP"
NUMBER = "KEG-IND-2026-000321"

pytestmark = pytest.mark.skipif(
    not shutil.which("pdftoppm"), reason="pdftoppm (poppler-utils) is missing"
)


def _photo_of_certificate(app, tmp_path):
    application = factories.registered_application(
        company_name=COMPANY, number=NUMBER, registered_on=date(2026, 3, 14)
    )
    with app.test_request_context("/"):
        pdf = render_certificate(application.registration)
    (tmp_path / "c.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "300", str(tmp_path / "c.pdf"), str(tmp_path / "c")], check=True
    )
    return tmp_path / "c-1.png", qr_link(pdf)


def _with_one_letter_changed(link: str) -> str:
    url, _, token = link.partition("?s=")
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["c"] = claims["c"].replace("Жібек", "Жібед")
    changed = json.dumps(claims, ensure_ascii=False, separators=(",", ":")).encode()
    payload = base64.urlsafe_b64encode(changed).rstrip(b"=").decode()
    return f"{url}?s={header}.{payload}.{signature}"


def test_officer_checks_a_photo_of_the_qr_code_with_the_network_gone(
    app, live_server, page, screenshot, tmp_path
):
    photo, link = _photo_of_certificate(app, tmp_path)
    page.goto(live_server + "/certificates/check")
    page.wait_for_load_state("networkidle")
    page.context.set_offline(True)  # from here on, nothing reaches the portal
    asked = []
    page.on("request", lambda request: asked.append(request.url))

    page.get_by_label("A photo of the QR code").set_input_files(str(photo))

    result = page.locator("#check-result")
    expect(result.get_by_role("heading", name="The portal issued this statement")).to_be_visible()
    expect(result).to_contain_text(COMPANY)
    expect(result).to_contain_text(NUMBER)
    expect(result).to_contain_text("March 14, 2026")
    expect(result).to_contain_text("Textiles")
    expect(page.get_by_label("The text of the certificate's QR code")).to_have_value(link)
    screenshot("certificate-check-offline")
    assert_accessible(Axe(), page, "/certificates/check with a genuine code")

    page.get_by_label("The text of the certificate's QR code").fill(_with_one_letter_changed(link))
    page.get_by_role("button", name="Check").click()

    expect(
        result.get_by_role("heading", name="The portal did not sign this statement")
    ).to_be_visible()
    expect(result).to_contain_text("Its signature does not match")
    assert [url for url in asked if not url.endswith("/favicon.svg")] == []  # nothing was sent


def test_without_javascript_the_portal_checks_the_text_with_the_published_keys(
    app, live_server, new_context, tmp_path
):
    _photo, link = _photo_of_certificate(app, tmp_path)
    page = new_context(java_script_enabled=False).new_page()
    page.goto(live_server + "/certificates/check")
    expect(page.get_by_label("A photo of the QR code")).to_be_hidden()  # needs JavaScript

    page.get_by_label("The text of the certificate's QR code").fill(link)
    page.get_by_role("button", name="Check").click()

    expect(page.get_by_role("heading", name="The portal issued this statement")).to_be_visible()
    expect(page.locator(".verify-result")).to_contain_text(COMPANY)
