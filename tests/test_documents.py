"""Documents: checked by content, size-limited, stored privately, reachable by their owner only."""

from __future__ import annotations

import io
from pathlib import Path

from portal.extensions import db
from portal.models import Document
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
