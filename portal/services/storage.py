"""Where documents' bytes are kept, chosen by DOCUMENT_STORAGE: one interface, three stores.

- local: a directory (UPLOAD_DIR), the embedded default: only the machine that took the upload
  can serve it.
- database: a table of the portal's own database (PostgreSQL or SQLite), shared by every app
  server; writes and deletes are part of the request's transaction.
- s3: a bucket of S3-compatible object storage (AWS S3, MinIO, Ceph) through boto3, the
  production option for several app servers.

An object is named by its document's random stored name and never changes once written, so
copying one (`flask documents migrate`) only has to ask whether it is there.
"""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from flask import current_app
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, SessionTransaction

from portal.config import DATABASE_STORAGE, LOCAL_STORAGE, S3_STORAGE
from portal.extensions import db
from portal.models import Document
from portal.models.applications import DocumentBlob

log = logging.getLogger(__name__)

# Deletes from stores outside the database wait for the commit (session.info key).
_PENDING_DELETES = "storage_pending_deletes"


class StorageUnavailable(Exception):
    """The store could not be reached, or refused the operation."""


class Store(Protocol):
    kind: str
    # True when save and delete are part of the database transaction (nothing to undo).
    transactional: bool

    def save(self, name: str, data: bytes, content_type: str) -> None: ...

    def open(self, name: str) -> Path | BinaryIO | None:
        """A path (served by the file system) or a stream of the bytes; None when missing."""

    def read(self, name: str) -> bytes | None: ...

    def exists(self, name: str) -> bool: ...

    def delete(self, name: str) -> None: ...


class LocalStore:
    """Files in one directory, as the portal always kept them."""

    kind = LOCAL_STORAGE
    transactional = False

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, name: str) -> Path:
        if not name or Path(name).name != name or name.startswith("."):
            raise ValueError(f"not a stored name: {name!r}")
        return self.root / name

    def save(self, name: str, data: bytes, content_type: str) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.path(name).write_bytes(data)

    def open(self, name: str) -> Path | None:
        path = self.path(name)
        return path if path.is_file() else None

    def read(self, name: str) -> bytes | None:
        path = self.open(name)
        return path.read_bytes() if path else None

    def exists(self, name: str) -> bool:
        return self.path(name).is_file()

    def delete(self, name: str) -> None:
        self.path(name).unlink(missing_ok=True)


class DatabaseStore:
    """Rows of document_blobs, in the caller's transaction.

    A download reads the whole row (bounded by MAX_DOCUMENT_BYTES) and gives the connection back
    at once, rather than holding one from the pool while a slow client reads.
    """

    kind = DATABASE_STORAGE
    transactional = True

    def save(self, name: str, data: bytes, content_type: str) -> None:
        # Core, not the ORM: the bytes do not stay in the session's identity map.
        db.session.execute(db.insert(DocumentBlob).values(name=name, data=data))

    def open(self, name: str) -> BinaryIO | None:
        data = self.read(name)
        return None if data is None else io.BytesIO(data)

    def read(self, name: str) -> bytes | None:
        return db.session.scalar(db.select(DocumentBlob.data).where(DocumentBlob.name == name))

    def exists(self, name: str) -> bool:
        query = db.select(DocumentBlob.name).where(DocumentBlob.name == name)
        return db.session.scalar(query) is not None

    def delete(self, name: str) -> None:
        db.session.execute(db.delete(DocumentBlob).where(DocumentBlob.name == name))


class S3Store:
    """Objects under a prefix of one bucket; a download streams from the store to the client."""

    kind = S3_STORAGE
    transactional = False

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    def key(self, name: str) -> str:
        return self.prefix + name

    def save(self, name: str, data: bytes, content_type: str) -> None:
        with self._reaching("store"):
            self.client.put_object(
                Bucket=self.bucket,
                Key=self.key(name),
                Body=data,
                ContentType=content_type,
            )

    def open(self, name: str) -> BinaryIO | None:
        with self._reaching("read", missing_ok=True):
            return self.client.get_object(Bucket=self.bucket, Key=self.key(name))["Body"]
        return None

    def read(self, name: str) -> bytes | None:
        body = self.open(name)
        if body is None:
            return None
        with self._reaching("read"):
            try:
                return body.read()
            finally:
                body.close()

    def exists(self, name: str) -> bool:
        with self._reaching("check", missing_ok=True):
            self.client.head_object(Bucket=self.bucket, Key=self.key(name))
            return True
        return False

    def delete(self, name: str) -> None:
        with self._reaching("delete"):
            self.client.delete_object(Bucket=self.bucket, Key=self.key(name))

    def _reaching(self, doing: str, missing_ok: bool = False) -> _S3Errors:
        return _S3Errors(f"could not {doing} an object in bucket {self.bucket!r}", missing_ok)


@dataclass
class _S3Errors:
    """Turns boto3's errors into StorageUnavailable; swallows "not found" when asked to."""

    message: str
    missing_ok: bool = False

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, error, traceback) -> bool:
        if error is None:
            return False
        from botocore.exceptions import BotoCoreError, ClientError

        if isinstance(error, ClientError):
            code = str(error.response.get("Error", {}).get("Code", ""))
            if self.missing_ok and code in {"404", "NoSuchKey", "NotFound"}:
                return True
        if isinstance(error, BotoCoreError | ClientError):
            raise StorageUnavailable(f"{self.message}: {error}") from error
        return False


def s3_client(config: Any) -> Any:
    """A boto3 S3 client from the S3_* settings (thread-safe: one per app is shared)."""
    import boto3
    from botocore.config import Config

    endpoint = config.get("S3_ENDPOINT_URL") or None
    style = config.get("S3_ADDRESSING_STYLE") or ("path" if endpoint else "auto")
    # boto3 >= 1.36 adds checksum headers to every upload, which many S3-compatible stores
    # (older MinIO and Ceph among them) refuse; AWS itself keeps boto3's default.
    checksums = "when_required" if endpoint else "when_supported"
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        region_name=config.get("S3_REGION") or None,
        aws_access_key_id=config.get("S3_ACCESS_KEY_ID") or None,
        aws_secret_access_key=config.get("S3_SECRET_ACCESS_KEY") or None,
        # Short timeouts and few retries: an upload or a download waits seconds, not minutes.
        config=Config(
            connect_timeout=5,
            read_timeout=30,
            retries={"max_attempts": 3, "mode": "standard"},
            s3={"addressing_style": style},
            request_checksum_calculation=checksums,
            response_checksum_validation=checksums,
        ),
    )


def make_store(kind: str, config: Any) -> Store:
    if kind == LOCAL_STORAGE:
        return LocalStore(config["UPLOAD_DIR"])
    if kind == DATABASE_STORAGE:
        return DatabaseStore()
    if kind == S3_STORAGE:
        if not config.get("S3_BUCKET"):
            raise StorageUnavailable("DOCUMENT_STORAGE is s3 but S3_BUCKET is not set.")
        return S3Store(s3_client(config), config["S3_BUCKET"], config.get("S3_PREFIX") or "")
    raise ValueError(f"unknown document storage {kind!r}")


def configured_kind(config: Any) -> str:
    """DOCUMENT_STORAGE, or the local directory when it is unset."""
    return config.get("DOCUMENT_STORAGE") or LOCAL_STORAGE


def document_store() -> Store:
    """The current app's store; an S3 client is made once per app and its settings."""
    config = current_app.config
    kind = configured_kind(config)
    if kind != S3_STORAGE:
        return make_store(kind, config)
    settings = tuple(config.get(k) for k in sorted(config) if k.startswith("S3_"))
    cached = current_app.extensions.get("document_store")
    if cached is None or cached[0] != settings:
        cached = (settings, make_store(kind, config))
        current_app.extensions["document_store"] = cached
    return cached[1]


# --- Deleting after the commit ---------------------------------------------------------------


def delete_when_committed(store: Store, name: str) -> None:
    """Delete an object whose document is being deleted in the current transaction.

    A database store deletes in the same transaction. A file or an S3 object cannot be
    rolled back, so it goes only once the deletion is committed: a failed commit leaves the
    document whole, and a failed delete at worst leaves an object nobody points to.
    """
    if store.transactional:
        store.delete(name)
    else:
        db.session.info.setdefault(_PENDING_DELETES, []).append(_Pending(store, name, db.engine))


@dataclass
class _Pending:
    store: Store
    name: str
    engine: Any = field(repr=False)


@event.listens_for(Session, "after_commit")
def _delete_committed(session: Session) -> None:
    pending: list[_Pending] = session.info.pop(_PENDING_DELETES, [])
    if not pending:
        return
    # Only what no document points to any more, whatever happened in between. The commit has
    # succeeded: a failure here leaves objects nobody points to, never an error for the user.
    names = [p.name for p in pending]
    try:
        with pending[0].engine.connect() as conn:
            query = db.select(Document.stored_name).where(Document.stored_name.in_(names))
            kept = set(conn.scalars(query))
    except SQLAlchemyError as error:
        log.warning("Stored documents %s were not deleted: %s", names, error)
        return
    for item in pending:
        if item.name in kept:
            continue
        try:
            item.store.delete(item.name)
        except (StorageUnavailable, OSError) as error:
            log.warning("The stored document %s was not deleted: %s", item.name, error)


@event.listens_for(Session, "after_soft_rollback")
def _forget_deletes(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.parent is None:  # the whole transaction, not a savepoint
        session.info.pop(_PENDING_DELETES, None)


# --- Copying between stores (`flask documents migrate`) --------------------------------------


@dataclass
class CopyReport:
    copied: int = 0
    present: int = 0  # already in the target: nothing to do
    missing: list[str] = field(default_factory=list)  # in neither store
    damaged: list[str] = field(default_factory=list)  # bytes differ from the recorded SHA-256


def copy_documents(source: Store, target: Store, commit_every: int = 20) -> CopyReport:
    """Copy every document's object from source to target, checked against its SHA-256.

    Idempotent: what the target already has is left alone, so a run that stopped half-way
    is simply run again. One document's bytes are in memory at a time.
    """
    report = CopyReport()
    rows = db.session.execute(
        db.select(Document.stored_name, Document.sha256, Document.content_type).order_by(
            Document.id
        )
    ).all()
    for name, sha256, content_type in rows:
        if target.exists(name):
            report.present += 1
            continue
        data = source.read(name)
        if data is None:
            report.missing.append(name)
            continue
        if hashlib.sha256(data).hexdigest() != sha256:
            report.damaged.append(name)
            continue
        target.save(name, data, content_type)
        report.copied += 1
        if report.copied % commit_every == 0:
            db.session.commit()
    db.session.commit()
    return report
