"""The certificate of registration: its content in every script, its QR code, who downloads it.
(Its signatures, and checking them: tests/test_signing.py.)"""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pypdf
import pytest

from portal.services import statements
from portal.services.certificates import render_certificate
from portal.services.signing import PublishedKeys
from tests import factories

NUMBER = "KEG-IND-2026-000123"
COMPANY = "Жібек Жолы 丝绸之路 LLP"
FOUNDERS = [
    ("natural", "Әсел Ғабитқызы Нұрланова", "KZ", "50"),
    ("natural", "王小明", "CN", "33.33"),
    ("legal", "新疆纺织有限公司 Xinjiang Textile", "CN", "16.67"),
]


@pytest.fixture
def registered(investor):
    return factories.registered_application(
        investor,
        number=NUMBER,
        company_name=COMPANY,
        founders=FOUNDERS,
        director_name="Ұлжан Өмірбекова",
    )


def _pdf_text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def _render(app, application, url="/") -> bytes:
    with app.test_request_context(url):
        return render_certificate(application.registration)


CAN_SCAN = bool(shutil.which("pdftoppm") and shutil.which("zbarimg"))
needs_scanner = pytest.mark.skipif(
    not CAN_SCAN, reason="pdftoppm (poppler-utils) or zbarimg (zbar-tools) is missing"
)


def scan_qr(pdf: Path) -> str:
    """What a QR reader reads from the first page of the PDF, printed at 150 dpi."""
    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", str(pdf), str(pdf.with_suffix(""))],
        check=True,
    )
    scanned = subprocess.run(
        ["zbarimg", "--raw", "-q", str(pdf.with_suffix("")) + "-1.png"],
        capture_output=True,
        text=True,
    )
    return scanned.stdout.strip()


def test_certificate_shows_company_number_date_and_founders_in_their_own_scripts(app, registered):
    pdf = _render(app, registered)

    text = _pdf_text(pdf)
    assert "Certificate of registration" in text
    assert COMPANY in text
    assert NUMBER in text
    assert "March 14, 2026" in text
    assert 'SEZ "Khorgos - Eastern Gate" industrial zone' in text
    assert "Textiles" in text
    assert "Limited liability partnership (LLP)" in text
    assert "Ұлжан Өмірбекова (Kazakhstan)" in text
    assert "Әсел Ғабитқызы Нұрланова" in text
    assert "王小明" in text
    assert "新疆纺织有限公司" in text
    assert "China" in text and "33.33%" in text


def test_certificate_embeds_the_bundled_fonts(app, registered):
    reader = pypdf.PdfReader(io.BytesIO(_render(app, registered)))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    names = {str(font.get_object()["/BaseFont"]) for font in fonts.values()}

    assert any("DejaVuSans" in name for name in names)
    assert any("DroidSansFallback" in name for name in names)
    assert not any(name.lstrip("/") in {"Helvetica", "Times-Roman"} for name in names)


def test_certificate_prints_the_verification_address_of_the_portal(app, registered):
    app.config["BASE_URL"] = "https://gateway.example.kz/"

    text = _pdf_text(_render(app, registered))

    assert f"https://gateway.example.kz/verify/{NUMBER}" in text


def test_certificate_is_in_the_language_of_the_page(app, registered, client):
    with app.test_request_context("/", headers={"Accept-Language": "ru"}):
        from flask_babel import refresh

        refresh()
        pdf = render_certificate(registered.registration)

    text = _pdf_text(pdf)
    # Country names come from Babel's CLDR data in the reader's language.
    assert "Казахстан" in text
    assert NUMBER in text


@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="pdftoppm (poppler-utils) is missing")
def test_certificate_renders_to_an_image(app, registered, tmp_path):
    (tmp_path / "c.pdf").write_bytes(_render(app, registered))

    subprocess.run(
        ["pdftoppm", "-png", "-r", "100", str(tmp_path / "c.pdf"), str(tmp_path / "c")],
        check=True,
        capture_output=True,
    )

    assert (tmp_path / "c-1.png").stat().st_size > 20_000
    assert not (tmp_path / "c-2.png").exists()  # one page


@needs_scanner
def test_certificate_qr_code_opens_the_verification_page_with_a_statement_that_verifies_offline(
    app, client, registered, tmp_path
):
    app.config["BASE_URL"] = "https://gateway.example.kz"
    (tmp_path / "c.pdf").write_bytes(_render(app, registered))
    published = PublishedKeys.from_document(client.get("/certificates/keys").get_json())

    scanned = scan_qr(tmp_path / "c.pdf")

    url, _, statement = scanned.partition("?s=")
    assert url == f"https://gateway.example.kz/verify/{NUMBER}"
    assert len(scanned.encode()) < 450  # an easy scan on an A4 print
    check = statements.check_offline(scanned, published)
    assert check.is_valid, check.reason
    assert (check.statement.number, check.statement.company_name) == (NUMBER, COMPANY)
    assert (check.statement.zone, check.statement.sector) == ("KEG-IND", "textiles")
    assert check.statement.registered_on == date(2026, 3, 14)
    assert check.statement.version == 1


def test_owner_downloads_the_certificate_as_an_attachment(investor_client, registered):
    response = investor_client.get(f"/applications/{registered.id}/certificate.pdf")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=certificate-{NUMBER}.pdf"
    )
    assert "no-store" in response.headers["Cache-Control"]
    assert response.data.startswith(b"%PDF")
    assert NUMBER in _pdf_text(response.data)
    response.close()


@pytest.mark.parametrize("role", ["reviewer", "admin"])
def test_staff_download_the_certificate(client, auth, registered, role):
    auth.login(factories.UserFactory(role=role))

    response = client.get(f"/applications/{registered.id}/certificate.pdf")

    assert response.status_code == 200
    assert response.data.startswith(b"%PDF")
    response.close()


def test_another_investor_cannot_download_the_certificate(client, auth, registered, other_investor):
    auth.login(other_investor)

    response = client.get(f"/applications/{registered.id}/certificate.pdf")

    assert response.status_code == 404


def test_a_visitor_is_sent_to_sign_in_for_the_certificate(client, registered):
    response = client.get(f"/applications/{registered.id}/certificate.pdf")

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_no_certificate_before_registration(investor_client, investor):
    application = factories.complete_application(investor)

    response = investor_client.get(f"/applications/{application.id}/certificate.pdf")

    assert response.status_code == 404


def test_application_page_offers_the_certificate_once_registered(investor_client, registered):
    html = investor_client.get(f"/applications/{registered.id}").get_data(as_text=True)

    assert NUMBER in html
    assert f'href="/applications/{registered.id}/certificate.pdf"' in html
    assert "Download the certificate" in html
    assert f'href="/registry/{NUMBER}"' in html  # its public record


def test_application_page_offers_no_certificate_before_registration(investor_client, investor):
    application = factories.complete_application(investor)

    html = investor_client.get(f"/applications/{application.id}").get_data(as_text=True)

    assert "Download the certificate" not in html


def test_my_applications_links_the_certificate_of_a_registered_company_only(
    investor_client, investor, registered
):
    draft = factories.complete_application(investor)

    html = investor_client.get("/applications/").get_data(as_text=True)

    assert f'href="/applications/{registered.id}/certificate.pdf"' in html
    assert f'href="/applications/{draft.id}/certificate.pdf"' not in html
    assert html.count("Certificate (PDF)") == 1
