"""Documents: checked by content, size-limited, stored privately, reachable by their owner only."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from portal.demo import _demo_pdf
from portal.extensions import db
from portal.models import Document
from portal.services import documents
from tests.factories import PDF_BYTES, PNG_BYTES, ApplicationFactory, complete_application


def upload(client, application_id, data: bytes, filename: str, doc_type="passport"):
    return client.post(
        f"/applications/{application_id}/step/documents",
        data={"doc_type": doc_type, "file": (io.BytesIO(data), filename), "action": "upload"},
        content_type="multipart/form-data",
    )


def test_pdf_and_png_are_accepted_and_stored_outside_static(app, investor_client, investor):
    application = ApplicationFactory(owner=investor)
    assert upload(investor_client, application.id, PDF_BYTES, "passport.pdf").status_code == 302
    assert (
        upload(investor_client, application.id, PNG_BYTES, "scan.png", "charter").status_code == 302
    )
    docs = db.session.scalars(db.select(Document).order_by(Document.id)).all()
    assert [(d.content_type, d.original_name) for d in docs] == [
        ("application/pdf", "passport.pdf"),
        ("image/png", "scan.png"),
    ]
    stored = Path(app.config["UPLOAD_DIR"]) / docs[0].stored_name
    assert stored.read_bytes() == PDF_BYTES
    assert "passport" not in docs[0].stored_name
    assert Path(app.static_folder) not in stored.parents


def test_a_file_disguised_by_its_name_is_refused(investor_client, investor):
    application = ApplicationFactory(owner=investor)
    response = upload(investor_client, application.id, b"MZ\x90\x00 not a pdf at all", "cv.pdf")
    assert response.status_code == 422
    assert "Only PDF, PNG and JPEG" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Document.id))) == 0


def test_a_real_pdf_with_a_wrong_name_is_accepted_as_pdf(investor_client, investor):
    application = ApplicationFactory(owner=investor)
    assert upload(investor_client, application.id, PDF_BYTES, "scan.jpg").status_code == 302
    assert db.session.scalars(db.select(Document)).one().content_type == "application/pdf"


def test_an_oversize_file_is_refused_next_to_the_field(app, investor_client, investor):
    app.config["MAX_DOCUMENT_BYTES"] = 1024
    application = ApplicationFactory(owner=investor)
    big = PDF_BYTES + b"0" * 2048
    response = upload(investor_client, application.id, big, "big.pdf")
    assert response.status_code == 422
    assert 'id="file-error"' in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Document.id))) == 0


def test_owner_downloads_a_document_inline_or_as_attachment(investor_client, investor):
    application = complete_application(owner=investor)
    doc = application.documents[0]
    response = investor_client.get(f"/applications/documents/{doc.id}")
    assert response.status_code == 200
    assert response.data == PDF_BYTES
    assert response.mimetype == "application/pdf"
    response.close()
    attachment = investor_client.get(f"/applications/documents/{doc.id}?download=1")
    assert "attachment" in attachment.headers["Content-Disposition"]
    attachment.close()


def test_another_investor_cannot_open_the_document(client, auth, investor, other_investor):
    application = complete_application(owner=investor)
    auth.login(other_investor)
    assert client.get(f"/applications/documents/{application.documents[0].id}").status_code == 404


def test_anonymous_visitor_cannot_open_a_document(client, investor):
    application = complete_application(owner=investor)
    response = client.get(f"/applications/documents/{application.documents[0].id}")
    assert response.status_code == 302
    assert "/login" in response.location


def test_owner_removes_a_document_from_a_draft(app, investor_client, investor):
    application = complete_application(owner=investor)
    doc = application.documents[0]
    doc_id, path = doc.id, Path(app.config["UPLOAD_DIR"]) / doc.stored_name
    response = investor_client.post(f"/applications/{application.id}/documents/{doc_id}/delete")
    assert response.status_code == 302
    assert not path.exists()
    assert db.session.get(Document, doc_id) is None


def test_documents_cannot_be_removed_after_submission(investor_client, investor):
    application = complete_application(owner=investor)
    investor_client.post(f"/applications/{application.id}/step/review", data={"confirm": "y"})
    doc = application.documents[0]
    response = investor_client.post(f"/applications/{application.id}/documents/{doc.id}/delete")
    assert response.status_code == 403
    assert db.session.get(Document, doc.id) is not None


# --- Active content in PDFs, and metadata in images (issue 9) --------------------------------
# The hostile files are made with pypdf and Pillow themselves, as an attacker's tools would.


def _pdf(build=None, pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if build:
        build(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _javascript(code: str = "app.alert('hello')") -> DictionaryObject:
    return DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject(code)}
    )


def _link(action: DictionaryObject, subtype: str = "/Link") -> DictionaryObject:
    return DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject(subtype),
            NameObject("/Rect"): ArrayObject([NumberObject(n) for n in (72, 72, 200, 100)]),
            NameObject("/A"): action,
        }
    )


def _open_action_javascript(writer):
    writer.root_object[NameObject("/OpenAction")] = _javascript()


def _goto_then_javascript(writer):
    goto = DictionaryObject(
        {
            NameObject("/S"): NameObject("/GoTo"),
            NameObject("/D"): ArrayObject([writer.pages[0].indirect_reference, NameObject("/Fit")]),
            NameObject("/Next"): _javascript(),
        }
    )
    writer.root_object[NameObject("/OpenAction")] = goto


def _document_level_javascript(writer):
    scripts = ArrayObject([TextStringObject("hello"), _javascript()])
    writer.root_object[NameObject("/Names")] = DictionaryObject(
        {NameObject("/JavaScript"): DictionaryObject({NameObject("/Names"): scripts})}
    )


def _catalog_additional_actions(writer):
    writer.root_object[NameObject("/AA")] = DictionaryObject({NameObject("/WC"): _javascript()})


def _page_additional_actions(writer):
    writer.pages[0][NameObject("/AA")] = DictionaryObject({NameObject("/O"): _javascript()})


def _embedded_file(writer):
    writer.add_attachment("invoice.exe", b"MZ\x90\x00")


def _xfa_form(writer):
    writer.root_object[NameObject("/AcroForm")] = DictionaryObject(
        {
            NameObject("/Fields"): ArrayObject(),
            NameObject("/XFA"): TextStringObject("<xdp:xdp xmlns:xdp='http://ns.adobe.com/xdp/'/>"),
        }
    )


def _launch_link(writer):
    launch = DictionaryObject(
        {NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("cmd.exe")}
    )
    writer.add_annotation(0, _link(launch))


def _javascript_link(writer):
    writer.add_annotation(0, _link(_javascript()))


def _file_attachment_annotation(writer):
    annotation = _link(DictionaryObject(), subtype="/FileAttachment")
    del annotation["/A"]
    annotation[NameObject("/FS")] = TextStringObject("payload.exe")
    writer.add_annotation(0, annotation)


def _javascript_bookmark(writer):
    item = writer.add_outline_item(title="Start", page_number=0)
    item.get_object()[NameObject("/A")] = _javascript()


@pytest.mark.parametrize(
    "build",
    [
        _open_action_javascript,
        _goto_then_javascript,
        _document_level_javascript,
        _catalog_additional_actions,
        _page_additional_actions,
        _embedded_file,
        _xfa_form,
        _launch_link,
        _javascript_link,
        _file_attachment_annotation,
        _javascript_bookmark,
    ],
)
def test_a_pdf_with_active_content_is_refused_next_to_the_field(
    app, investor_client, investor, build
):
    application = ApplicationFactory(owner=investor)
    response = upload(investor_client, application.id, _pdf(build), "passport.pdf")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="file-error"' in html
    assert "This PDF contains scripts, automatic actions, attached files or an XFA form" in html
    _assert_nothing_stored(app)


def _assert_nothing_stored(app):
    assert db.session.scalar(db.select(db.func.count(Document.id))) == 0
    uploads = Path(app.config["UPLOAD_DIR"])
    assert not uploads.exists() or list(uploads.iterdir()) == []


def test_garbage_behind_a_pdf_header_is_refused(app, investor_client, investor):
    application = ApplicationFactory(owner=investor)
    garbage = b"%PDF-1.7\n" + b"\x00\xff not really a PDF \x13\x37" * 50
    response = upload(investor_client, application.id, garbage, "passport.pdf")
    assert response.status_code == 422
    assert "This PDF could not be read; it may be damaged." in response.get_data(as_text=True)
    _assert_nothing_stored(app)


def test_a_pdf_that_needs_a_password_is_refused(app, investor_client, investor):
    application = ApplicationFactory(owner=investor)
    locked = _pdf(lambda w: w.encrypt("secret", "owner-secret", algorithm="AES-256"))
    response = upload(investor_client, application.id, locked, "passport.pdf")
    assert response.status_code == 422
    assert "This PDF is protected by a password" in response.get_data(as_text=True)
    _assert_nothing_stored(app)


def test_a_pdf_with_only_an_owner_password_opens_for_reviewers_and_is_accepted(
    investor_client, investor
):
    application = ApplicationFactory(owner=investor)
    restricted = _pdf(lambda w: w.encrypt("", "owner-secret", algorithm="AES-256"))
    assert upload(investor_client, application.id, restricted, "statement.pdf").status_code == 302
    assert db.session.scalars(db.select(Document)).one().content_type == "application/pdf"


def test_a_pdf_with_too_many_pages_is_refused(app, investor_client, investor, monkeypatch):
    monkeypatch.setattr(documents, "PDF_MAX_PAGES", 2)
    application = ApplicationFactory(owner=investor)
    response = upload(investor_client, application.id, _pdf(pages=3), "charter.pdf")
    assert response.status_code == 422
    assert "This PDF has more than 2 pages" in response.get_data(as_text=True)
    _assert_nothing_stored(app)


def test_a_page_tree_that_loops_is_refused_not_followed_forever(app, investor_client, investor):
    def loop(writer):
        pages = writer.root_object["/Pages"]
        pages["/Kids"].append(writer.root_object.raw_get("/Pages"))

    application = ApplicationFactory(owner=investor)
    response = upload(investor_client, application.id, _pdf(loop), "charter.pdf")
    assert response.status_code == 422
    assert "too complex to check" in response.get_data(as_text=True)
    _assert_nothing_stored(app)


def test_a_clean_pdf_with_links_and_bookmarks_is_accepted_as_it_was_sent(
    app, investor_client, investor
):
    def links(writer):
        first_page = ArrayObject([writer.pages[0].indirect_reference, NameObject("/Fit")])
        writer.root_object[NameObject("/OpenAction")] = first_page
        uri = DictionaryObject(
            {
                NameObject("/S"): NameObject("/URI"),
                NameObject("/URI"): TextStringObject("https://example.com/charter"),
            }
        )
        writer.add_annotation(0, _link(uri))
        writer.add_outline_item(title="Charter", page_number=1)

    pdf = _pdf(links, pages=2)
    application = ApplicationFactory(owner=investor)
    assert upload(investor_client, application.id, pdf, "charter.pdf").status_code == 302
    document = db.session.scalars(db.select(Document)).one()
    assert (Path(app.config["UPLOAD_DIR"]) / document.stored_name).read_bytes() == pdf


def test_the_demo_documents_pass_the_check(app):
    with app.test_request_context():
        documents.check_pdf(_demo_pdf("Passport", "Silk Road Textiles LLP"))


def test_the_refusal_is_in_the_pages_language(investor_client, investor):
    application = ApplicationFactory(owner=investor)
    investor_client.post("/language", data={"code": "ru"})
    response = upload(investor_client, application.id, _pdf(_launch_link), "passport.pdf")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "This PDF contains scripts" not in html
    assert "Этот PDF содержит сценарии" in html


def _phone_photo() -> bytes:
    """A JPEG as a phone writes it: held sideways (orientation 6), with where it was taken."""
    image = Image.new("RGB", (60, 30), "white")
    image.paste((200, 0, 0), (0, 0, 30, 30))  # the left half red: shows which way is up
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to show
    exif[0x8825] = {1: "N", 2: (44.0, 12.0, 30.0), 3: "E", 4: (80.0, 24.0, 15.0)}  # GPS
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif, comment=b"Passport of Ivan", xmp=b"<x:xmpmeta/>")
    return out.getvalue()


def test_a_phone_photo_is_stored_upright_without_its_location(app, investor_client, investor):
    photo = _phone_photo()
    assert Image.open(io.BytesIO(photo)).getexif().get_ifd(0x8825)  # the photo has a location
    application = ApplicationFactory(owner=investor)
    assert upload(investor_client, application.id, photo, "passport.jpg").status_code == 302
    document = db.session.scalars(db.select(Document)).one()
    stored = (Path(app.config["UPLOAD_DIR"]) / document.stored_name).read_bytes()
    assert document.content_type == "image/jpeg"
    assert document.size == len(stored)
    assert document.sha256 == hashlib.sha256(stored).hexdigest()
    image = Image.open(io.BytesIO(stored))
    assert dict(image.getexif()) == {}
    assert b"Exif" not in stored and b"PhoneMaker" not in stored
    assert "xmp" not in image.info and "comment" not in image.info
    assert image.size == (30, 60)  # turned upright
    red, green, _blue = image.getpixel((15, 5))  # the red half is now on top
    assert red > 150 and green < 60


def test_a_png_loses_its_text_metadata_and_keeps_its_pixels(app, investor_client, investor):
    info = PngInfo()
    info.add_text("Author", "Ivan Petrov")
    image = Image.new("RGBA", (8, 8), (10, 20, 30, 128))
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    application = ApplicationFactory(owner=investor)
    assert upload(investor_client, application.id, out.getvalue(), "scan.png").status_code == 302
    document = db.session.scalars(db.select(Document)).one()
    stored = (Path(app.config["UPLOAD_DIR"]) / document.stored_name).read_bytes()
    assert b"Ivan Petrov" not in stored
    assert Image.open(io.BytesIO(stored)).getpixel((3, 3)) == (10, 20, 30, 128)


def _noise(image_format: str) -> bytes:
    image = Image.frombytes("RGB", (64, 64), bytes(range(256)) * 48)
    out = io.BytesIO()
    image.save(out, image_format)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "filename"), [(_noise("PNG"), "scan.png"), (_noise("JPEG"), "scan.jpg")]
)
def test_a_truncated_image_is_refused(app, investor_client, investor, data, filename):
    application = ApplicationFactory(owner=investor)
    response = upload(investor_client, application.id, data[: len(data) // 2], filename)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="file-error"' in html
    assert "This image could not be read; it may be damaged or incomplete." in html
    _assert_nothing_stored(app)


@pytest.mark.parametrize("side", [40, 100])  # Pillow warns past its limit, and fails past twice it
def test_an_image_with_too_many_pixels_is_refused(
    app, investor_client, investor, monkeypatch, side
):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    out = io.BytesIO()
    Image.new("L", (side, side)).save(out, "PNG")
    application = ApplicationFactory(owner=investor)
    response = upload(investor_client, application.id, out.getvalue(), "scan.png")
    assert response.status_code == 422
    assert "This image has too many pixels to be checked." in response.get_data(as_text=True)
    _assert_nothing_stored(app)
