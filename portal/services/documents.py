"""Uploaded documents: checked by their content, kept outside static/ under random names.

A PDF is kept as it was sent, once it is known to carry no active content; an image is kept
as we encode it again, without its metadata. Where the bytes are kept (a local directory, the
database or S3-compatible object storage) is portal/services/storage.py's business.
"""

from __future__ import annotations

import hashlib
import io
import secrets
from pathlib import Path
from typing import Any, BinaryIO

import filetype
from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps
from PIL.JpegImagePlugin import get_sampling
from pypdf import PasswordType, PdfReader
from pypdf.errors import LimitReachedError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from portal.extensions import db
from portal.models import Application, Document, User
from portal.services import DomainError, storage
from portal.services.applications import DOCUMENT_TYPES, ensure_editable, remember_step

ALLOWED_TYPES = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}
# Per image type: the format it is saved in, and what Pillow may find in such a file (MPO:
# a JPEG followed by more pictures, as some phones and cameras write).
IMAGE_FORMATS = {"image/png": ("PNG", {"PNG"}), "image/jpeg": ("JPEG", {"JPEG", "MPO"})}

# A hostile PDF may have a huge or cyclic object graph: the check walks at most this much.
PDF_MAX_PAGES = 2000
PDF_MAX_OBJECTS = 50_000  # page-tree nodes, annotations, form fields, bookmarks, actions
# The only actions a PDF may carry: going to a page (on opening or from a link or bookmark)
# and a web link, which viewers ask about before following.
OPEN_ACTIONS = frozenset({"/GoTo"})
LINK_ACTIONS = frozenset({"/GoTo", "/URI"})
# Annotations that carry files of their own (RichMedia: Flash and its assets).
FILE_ANNOTATIONS = frozenset({"/FileAttachment", "/RichMedia"})


def upload_dir() -> Path:
    """The local directory (DOCUMENT_STORAGE=local, and the source of `documents migrate`)."""
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
    if kind.mime == "application/pdf":
        check_pdf(data)
    else:
        data = clean_image(data, kind.mime)
    stored_name = secrets.token_hex(16) + "." + ALLOWED_TYPES[kind.mime]
    try:
        storage.document_store().save(stored_name, data, kind.mime)
    except (storage.StorageUnavailable, OSError) as exc:
        current_app.logger.error("A document could not be stored: %s", exc)
        raise DomainError(
            _("The file could not be saved just now. Please try again in a few minutes."),
            field="file",
        ) from exc
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


def check_pdf(data: bytes) -> None:
    """Refuse a PDF reviewers could not open, or one that could act by itself when opened.

    pypdf reads it: pure Python, so hostile bytes never reach native parsing code, and it caps
    what it decompresses. The walk then follows dictionaries only (no page content is decoded)
    and gives up past fixed caps, so a hostile object graph costs bounded work.
    """
    try:
        reader = PdfReader(io.BytesIO(data))
        # A file with only an owner password opens for anyone: it decrypts with "".
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            problem = "password"
        else:
            _PdfWalk().document(reader.root_object)
            problem = None
    except _ActiveContent:
        problem = "active"
    except (_TooComplex, LimitReachedError):  # our caps, or pypdf's own
        problem = "size"
    except Exception:  # hostile bytes fail in many ways; any of them means "not readable"
        problem = "unreadable"
    if problem == "password":
        raise DomainError(
            _(
                "This PDF is protected by a password, so reviewers could not open it. "
                "Upload a copy without a password."
            ),
            field="file",
        )
    if problem == "active":
        raise DomainError(
            _(
                "This PDF contains scripts, automatic actions, attached files or an XFA form, "
                "which are not accepted. Print it to a new PDF, or scan the paper document, "
                "and upload that file."
            ),
            field="file",
        )
    if problem == "size":
        raise DomainError(
            _(
                "This PDF has more than %(pages)d pages or is too complex to check. "
                "Split it into smaller files.",
                pages=PDF_MAX_PAGES,
            ),
            field="file",
        )
    if problem == "unreadable":
        raise DomainError(
            _(
                "This PDF could not be read; it may be damaged. "
                "Save or scan it again and upload the new file."
            ),
            field="file",
        )


class _ActiveContent(Exception):
    """The PDF carries something a viewer could run or open by itself."""


class _TooComplex(Exception):
    """The PDF has more pages or objects than the check walks."""


class _PdfWalk:
    """Looks through a PDF's catalog for scripts, actions, attached files and XFA forms."""

    def __init__(self) -> None:
        self.visited = 0
        self.pages = 0

    def get(self, obj: Any) -> Any:
        """The object behind a reference, counted against the cap (references can loop)."""
        while isinstance(obj, IndirectObject):
            self.visited += 1
            if self.visited > PDF_MAX_OBJECTS:
                raise _TooComplex
            obj = obj.get_object()
        return obj

    def document(self, catalog: Any) -> None:
        catalog = self.get(catalog)
        if not isinstance(catalog, DictionaryObject):
            raise ValueError("the PDF has no catalog")
        if "/AA" in catalog:
            raise _ActiveContent
        opening = self.get(catalog.get("/OpenAction"))
        if isinstance(opening, DictionaryObject):  # an array is a plain destination
            self.action(opening, OPEN_ACTIONS)
        names = self.get(catalog.get("/Names"))
        if isinstance(names, DictionaryObject) and (
            "/JavaScript" in names or "/EmbeddedFiles" in names
        ):
            raise _ActiveContent
        form = self.get(catalog.get("/AcroForm"))
        if isinstance(form, DictionaryObject):
            if "/XFA" in form:
                raise _ActiveContent
            self.fields(form.get("/Fields"))
        self.outline(catalog.get("/Outlines"))
        self.page_tree(catalog.get("/Pages"))

    def action(self, action: Any, allowed: frozenset[str]) -> None:
        """The action, and every action it chains to with /Next, must be of an allowed kind."""
        todo = [action]
        while todo:
            item = self.get(todo.pop())
            if isinstance(item, ArrayObject):
                todo.extend(item)
            elif isinstance(item, DictionaryObject):
                if item.get("/S") not in allowed:
                    raise _ActiveContent
                if "/Next" in item:
                    todo.append(item.get("/Next"))
            self.count()

    def annotation(self, annotation: Any) -> None:
        annotation = self.get(annotation)
        self.count()
        if not isinstance(annotation, DictionaryObject):
            return
        if "/AA" in annotation or annotation.get("/Subtype") in FILE_ANNOTATIONS:
            raise _ActiveContent
        if "/A" in annotation:
            self.action(annotation.get("/A"), LINK_ACTIONS)

    def page_tree(self, root: Any) -> None:
        """Every page and the nodes above it: no /AA, and only harmless annotations."""
        todo = [root]
        while todo:
            node = self.get(todo.pop())
            self.count()
            if not isinstance(node, DictionaryObject):
                continue
            if "/AA" in node:
                raise _ActiveContent
            kids = self.get(node.get("/Kids"))
            if isinstance(kids, ArrayObject):
                todo.extend(kids)
            if node.get("/Type") == "/Page" or not isinstance(kids, ArrayObject):
                self.pages += 1
                if self.pages > PDF_MAX_PAGES:
                    raise _TooComplex
            annotations = self.get(node.get("/Annots"))
            if isinstance(annotations, ArrayObject):
                for annotation in annotations:
                    self.annotation(annotation)

    def fields(self, fields: Any) -> None:
        """Form fields; a field and its widget annotation are often one dictionary."""
        todo = [fields]
        while todo:
            item = self.get(todo.pop())
            if isinstance(item, ArrayObject):
                todo.extend(item)
            elif isinstance(item, DictionaryObject):
                self.annotation(item)
                if "/Kids" in item:
                    todo.append(item.get("/Kids"))
            self.count()

    def outline(self, outline: Any) -> None:
        """Bookmarks: each may carry an action, run when the reader clicks it."""
        todo = [outline]
        while todo:
            item = self.get(todo.pop())
            self.count()
            if isinstance(item, DictionaryObject):
                if "/A" in item:
                    self.action(item.get("/A"), LINK_ACTIONS)
                todo.extend(item.get(key) for key in ("/First", "/Next") if key in item)

    def count(self) -> None:
        self.visited += 1
        if self.visited > PDF_MAX_OBJECTS:
            raise _TooComplex


def clean_image(data: bytes, mime: str) -> bytes:
    """The image decoded and encoded again, upright and without its metadata.

    A phone photo's EXIF can hold where and when it was taken (GPS) and the device; reviewers
    need none of it, so EXIF, XMP and comments are dropped. The colour profile (ICC) is kept:
    it is not personal, and without it a photo's colours can shift. Orientation is applied to
    the pixels first, so a photo taken sideways is not shown sideways.
    """
    save_format, formats = IMAGE_FORMATS[mime]
    try:
        # Only the decoders of the type filetype saw get to read the bytes.
        with Image.open(io.BytesIO(data), formats=sorted(formats)) as probe:
            if probe.format not in formats:
                raise ValueError("not the image filetype saw")
            probe.verify()  # checks the file's structure (PNG checksums) without decoding
        with Image.open(io.BytesIO(data), formats=sorted(formats)) as original:
            limit = Image.MAX_IMAGE_PIXELS
            if limit and original.width * original.height > limit:
                # Pillow only warns up to twice its limit; we refuse from the limit on.
                raise Image.DecompressionBombError("too many pixels")
            original.load()  # decodes every pixel: a truncated file fails here
            options: dict[str, Any] = {}
            if icc_profile := original.info.get("icc_profile"):
                options["icc_profile"] = icc_profile
            if dpi := original.info.get("dpi"):
                options["dpi"] = dpi
            if save_format == "JPEG" and getattr(original, "quantization", None):
                # The original's quantization keeps the quality as it was (no second loss).
                options["qtables"] = original.quantization
                options["subsampling"] = get_sampling(original)
            image = ImageOps.exif_transpose(original)
            # Pillow would write some of what is left in info (XMP, comments): keep only this.
            image.info = {k: v for k, v in image.info.items() if k == "transparency"}
            out = io.BytesIO()
            image.save(out, save_format, **options)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise DomainError(
            _("This image has too many pixels to be checked. Upload a smaller scan or photo."),
            field="file",
        ) from exc
    except Exception as exc:  # hostile bytes fail in many ways; any of them means "not readable"
        raise DomainError(
            _(
                "This image could not be read; it may be damaged or incomplete. "
                "Save or scan it again and upload the new file."
            ),
            field="file",
        ) from exc
    return out.getvalue()


def delete_document(document: Document) -> None:
    """The investor removes a file; its stored bytes go with the commit (the caller commits)."""
    ensure_editable(document.application)
    name = document.stored_name
    db.session.delete(document)
    db.session.flush()
    storage.delete_when_committed(storage.document_store(), name)


def open_document(document: Document) -> Path | BinaryIO | None:
    """The document's bytes for `send_file`, wherever they are kept; None when they are missing.

    A local file is given as its path (served with ranges and an ETag); the database gives
    the bytes in memory (at most MAX_DOCUMENT_BYTES), S3 a stream read as it is sent.
    Raises storage.StorageUnavailable when the store cannot be reached.
    """
    return storage.document_store().open(document.stored_name)


def document_path(document: Document) -> Path:
    """Where the local directory keeps (or would keep) the document."""
    return upload_dir() / document.stored_name
