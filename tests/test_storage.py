"""Documents reachable from every app server: two app instances with their own local folders on
one database open each other's uploads through the database or a shared S3 bucket."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from portal.demo import _demo_pdf
from portal.extensions import db
from portal.models import Document
from portal.models.applications import DocumentBlob
from portal.services import applications as app_service
from portal.services import documents
from tests.conftest import AuthActions
from tests.factories import PNG_BYTES, complete_application

BUCKET = "khorgos-documents"
S3 = {
    "DOCUMENT_STORAGE": "s3",
    "S3_BUCKET": BUCKET,
    "S3_REGION": "us-east-1",
    "S3_ACCESS_KEY_ID": "testing",
    "S3_SECRET_ACCESS_KEY": "testing",
}
PASSPORT = _demo_pdf("Passport", "Silk Road Textiles LLP")


@pytest.fixture
def bucket():
    """One in-memory S3 (moto, offline) that every app instance of the test reaches."""
    with mock_aws():
        client = boto3.client(
            "s3",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        client.create_bucket(Bucket=BUCKET)
        yield client


def servers(make_app, tmp_path, **settings):
    """Two app servers on the same database, each with its own (empty) local folder."""
    return [
        make_app(UPLOAD_DIR=str(tmp_path / f"server-{name}"), **settings) for name in ("a", "b")
    ]


def signed_in(server, user):
    client = server.test_client()
    AuthActions(client).login(user)
    return client


def upload(client, application_id, data: bytes, filename: str, doc_type="business_plan"):
    return client.post(
        f"/applications/{application_id}/step/documents",
        data={"doc_type": doc_type, "file": (io.BytesIO(data), filename), "action": "upload"},
        content_type="multipart/form-data",
    )


def download(client, document_id: int):
    """The document as the browser gets it (the response read and closed)."""
    response = client.get(f"/applications/documents/{document_id}")
    response.get_data()
    response.close()
    return response


def stored_objects(bucket) -> list[str]:
    return [item["Key"] for item in bucket.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def files_in(folder: Path) -> list[Path]:
    return list(folder.iterdir()) if folder.exists() else []


def upload_on_a_and_submit(server_a, investor) -> Document:
    """The investor uploads the business plan through server A, then submits."""
    application = complete_application(owner=investor)
    response = upload(signed_in(server_a, investor), application.id, PASSPORT, "plan.pdf")
    assert response.status_code == 302
    db.session.expire_all()
    app_service.submit(application, investor)
    db.session.commit()
    return db.session.scalars(db.select(Document).where(Document.doc_type == "business_plan")).one()


@pytest.mark.parametrize("storage", ["database", "s3"])
def test_a_reviewer_on_another_server_opens_the_document_the_investor_uploaded(
    request, make_app, tmp_path, investor, reviewer, storage
):
    settings = {"DOCUMENT_STORAGE": "database"}
    if storage == "s3":
        request.getfixturevalue("bucket")
        settings = S3
    server_a, server_b = servers(make_app, tmp_path, **settings)

    document = upload_on_a_and_submit(server_a, investor)
    response = download(signed_in(server_b, reviewer), document.id)

    assert response.status_code == 200
    assert response.data == PASSPORT
    assert response.mimetype == "application/pdf"
    assert files_in(tmp_path / "server-a") == [] and files_in(tmp_path / "server-b") == []


def test_with_local_storage_the_other_server_cannot_open_it(make_app, tmp_path, investor, reviewer):
    """Why the shared storages exist: the default keeps files on the server that took them."""
    server_a, server_b = servers(make_app, tmp_path)

    document = upload_on_a_and_submit(server_a, investor)

    assert download(signed_in(server_b, reviewer), document.id).status_code == 404
    assert download(signed_in(server_a, reviewer), document.id).data == PASSPORT


def test_the_database_keeps_the_cleaned_image_and_removes_it_with_the_document(
    make_app, tmp_path, investor
):
    server_a, server_b = servers(make_app, tmp_path, DOCUMENT_STORAGE="database")
    application = complete_application(owner=investor)
    client_a, client_b = signed_in(server_a, investor), signed_in(server_b, investor)

    assert upload(client_a, application.id, PNG_BYTES, "scan.png").status_code == 302
    document = db.session.scalars(
        db.select(Document).where(Document.content_type == "image/png")
    ).one()
    blob = db.session.get(DocumentBlob, document.stored_name)
    assert hashlib.sha256(blob.data).hexdigest() == document.sha256
    assert download(client_b, document.id).data == blob.data
    doc_id, name = document.id, document.stored_name

    removed = client_b.post(f"/applications/{application.id}/documents/{doc_id}/delete")

    assert removed.status_code == 302
    assert db.session.get(Document, doc_id) is None
    assert db.session.get(DocumentBlob, name) is None


def test_removing_a_document_deletes_its_object_from_the_bucket(
    bucket, make_app, tmp_path, investor
):
    server_a, server_b = servers(make_app, tmp_path, **S3)
    application = complete_application(owner=investor)
    client_a, client_b = signed_in(server_a, investor), signed_in(server_b, investor)
    assert upload(client_a, application.id, PASSPORT, "plan.pdf").status_code == 302
    document = db.session.scalars(
        db.select(Document).where(Document.doc_type == "business_plan")
    ).one()
    assert stored_objects(bucket) == ["documents/" + document.stored_name]
    doc_id = document.id

    client_b.post(f"/applications/{application.id}/documents/{doc_id}/delete")

    assert stored_objects(bucket) == []
    assert download(client_a, doc_id).status_code == 404


def test_a_removal_that_is_rolled_back_keeps_the_file(app, investor):
    application = complete_application(owner=investor)
    document = application.documents[0]
    path = documents.document_path(document)

    original = path.read_bytes()

    documents.delete_document(document)
    db.session.rollback()
    db.session.commit()  # a later commit in the same session deletes nothing either

    assert db.session.get(Document, document.id) is not None
    assert path.read_bytes() == original
    documents.delete_document(db.session.get(Document, document.id))
    assert path.exists()  # not before the commit
    db.session.commit()
    assert not path.exists()


def test_an_unreachable_object_store_is_a_message_next_to_the_field_not_an_error_page(
    make_app, tmp_path, investor, reviewer
):
    closed = {**S3, "S3_ENDPOINT_URL": "http://127.0.0.1:9"}  # nothing listens on port 9
    (server,) = [make_app(UPLOAD_DIR=str(tmp_path / "server"), **closed)]
    application = complete_application(owner=investor)

    response = upload(signed_in(server, investor), application.id, PASSPORT, "plan.pdf")

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="file-error"' in html
    assert "The file could not be saved just now. Please try again in a few minutes." in html
    assert len(db.session.scalars(db.select(Document)).all()) == 2  # the factory's two only

    app_service.submit(application, investor)
    db.session.commit()
    opened = download(signed_in(server, reviewer), application.documents[0].id)
    assert opened.status_code == 503


# --- `flask documents migrate` -----------------------------------------------------------------


def migrate(server, *args):
    with server.app_context():  # the test's own app context would otherwise be the one used
        return server.test_cli_runner().invoke(args=["documents", "migrate", *args])


@pytest.mark.parametrize("storage", ["database", "s3"])
def test_migrate_copies_the_local_files_once_and_other_servers_then_open_them(
    request, app, make_app, tmp_path, investor, storage
):
    settings = {"DOCUMENT_STORAGE": "database"}
    if storage == "s3":
        request.getfixturevalue("bucket")
        settings = S3
    application = complete_application(owner=investor)  # on this server's disk, as until now
    # The same server, switched to the shared storage; and a new one with an empty folder.
    switched = make_app(UPLOAD_DIR=app.config["UPLOAD_DIR"], **settings)
    (new_server,) = [make_app(UPLOAD_DIR=str(tmp_path / "new"), **settings)]
    client = signed_in(new_server, investor)
    first_id = application.documents[0].id
    assert download(client, first_id).status_code == 404

    first = migrate(switched, "--to", storage)
    again = migrate(switched)

    assert (first.exit_code, first.output) == (
        0,
        f"Copied 2 document(s) from local to {storage}; 0 already there.\n",
    ), first.output
    assert (again.exit_code, again.output) == (
        0,
        f"Copied 0 document(s) from local to {storage}; 2 already there.\n",
    ), again.output
    for document in application.documents:
        response = download(client, document.id)
        assert hashlib.sha256(response.data).hexdigest() == document.sha256


def test_migrate_names_missing_and_damaged_files_and_exits_non_zero(app, make_app, investor):
    application = complete_application(owner=investor)
    missing, damaged = application.documents
    documents.document_path(missing).unlink()
    documents.document_path(damaged).write_bytes(b"%PDF-1.4 something else")
    switched = make_app(UPLOAD_DIR=app.config["UPLOAD_DIR"], DOCUMENT_STORAGE="database")

    result = migrate(switched)

    assert result.exit_code == 1
    assert "Copied 0 document(s) from local to database; 0 already there." in result.output
    assert f"missing in local: {missing.stored_name}" in result.output
    assert f"damaged: {damaged.stored_name}" in result.output
    assert db.session.scalars(db.select(DocumentBlob)).all() == []


def test_migrate_refuses_to_copy_a_storage_onto_itself(app):
    result = app.test_cli_runner().invoke(args=["documents", "migrate"])

    assert result.exit_code == 2
    assert "already in local" in result.output
