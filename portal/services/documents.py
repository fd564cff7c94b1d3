"""Uploaded documents: checked by their content, kept outside static/ under random names."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path
from typing import BinaryIO

import filetype
from flask import current_app
from flask_babel import gettext as _

from portal.extensions import db
from portal.models import Application, Document, User
from portal.services import DomainError
from portal.services.applications import DOCUMENT_TYPES, ensure_editable, remember_step

ALLOWED_TYPES = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}


def upload_dir() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def add_document(
    application: Application, stream: BinaryIO, filename: str, doc_type: str, user: User
) -> Document:
    """The investor adds a file to an application they may still change (the caller commits)."""
    ensure_editable(application)
    document = store_document(application, stream, filename, doc_type, user.id)
    remember_step(application, "documents")
    return document


def store_document(
    application: Application, stream: BinaryIO, filename: str, doc_type: str, uploaded_by_id: int
) -> Document:
    """Check one file by its content and size, and keep it under a random name."""
    if doc_type not in DOCUMENT_TYPES:
        raise DomainError(_("Choose the type of document."), field="doc_type")
    limit = current_app.config["MAX_DOCUMENT_BYTES"]
    data = stream.read(limit + 1)
    if not data:
        raise DomainError(_("The file is empty."), field="file")
    if len(data) > limit:
        raise DomainError(
            _("The file is larger than %(mb)d MB.", mb=limit // (1024 * 1024)), field="file"
        )
    kind = filetype.guess(data[:8192])
    if kind is None or kind.mime not in ALLOWED_TYPES:
        raise DomainError(
            _("Only PDF, PNG and JPEG files are accepted; this file is not one of them."),
            field="file",
        )
    stored_name = secrets.token_hex(16) + "." + ALLOWED_TYPES[kind.mime]
    (upload_dir() / stored_name).write_bytes(data)
    document = Document(
        application=application,
        doc_type=doc_type,
        original_name=(Path(filename or "document").name or "document")[:255],
        stored_name=stored_name,
        content_type=kind.mime,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by_id=uploaded_by_id,
    )
    db.session.add(document)
    return document


def delete_document(document: Document) -> None:
    ensure_editable(document.application)
    path = document_path(document)
    db.session.delete(document)
    db.session.flush()
    path.unlink(missing_ok=True)


def document_path(document: Document) -> Path:
    return upload_dir() / document.stored_name
