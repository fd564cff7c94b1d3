"""The register as open data: a daily bulk file of every registered company's public record.

`publish()` (the `flask open-data publish` command, run daily by cron or an RQ job) writes the
day's release into OPEN_DATA_DIR: the records as CSV and as JSON Lines, each gzip-compressed,
the data dictionary (`khorgos-register-dictionary.json`) and `manifest.json` (each release's
date, rows, and each file's size and SHA-256). The fields are the public API's, from
`public_registry.record()`: a field added there appears in the files and the dictionary by
itself (in the CSV, nested objects are flattened: `zone.code` becomes `zone_code`).

The records are streamed from the database to the compressed files (constant memory, whatever
the register's size); each file is written under a temporary name and renamed, the manifest
last, so a reader never sees half a file or a manifest naming a file that is not there yet.
Releases older than the last OPEN_DATA_KEEP_DAYS are deleted.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import fcntl
import gzip
import hashlib
import io
import json
import os
import re
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.models import Sector, Zone
from portal.services import public_registry, zone_time

DATASET = "khorgos-register"
MANIFEST = "manifest.json"
DICTIONARY = f"{DATASET}-dictionary.json"
LOCK = ".publish.lock"
# The formats of a release: the file's extension and its media type (of the compressed file).
FORMATS = {"csv": "csv.gz", "jsonl": "jsonl.gz"}
GZIP_TYPE = "application/gzip"
RELEASE_FILE = re.compile(rf"^{DATASET}-(\d{{4}}-\d{{2}}-\d{{2}})\.(?:csv|jsonl)\.gz$")
# Temporary files a crashed run left behind are removed after this long.
STALE_TEMP_SECONDS = 3600

LICENCE = _l(
    "Open data under the Creative Commons Attribution 4.0 International licence (CC BY 4.0): "
    "copy, publish and adapt it freely, naming Khorgos Gateway as its source."
)
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"

# What each field means (by its CSV column). A field of `record()` not named here is still
# published, and listed in the dictionary with its type and example, without a description.
DESCRIPTIONS = {
    "registration_number": _l(
        "The registration number: the zone's code, the year of registration and a number in "
        "the zone's sequence for that year. Unique and never reused."
    ),
    "name": _l("The company's registered name."),
    "legal_form": _l(
        "The legal form, as a code: llp (limited liability partnership), jsc (joint-stock "
        "company), branch (branch of a foreign company), rep_office (representative office), "
        "sole (individual entrepreneur)."
    ),
    "zone_code": _l("The code of the zone where the company is registered."),
    "zone_name": _l("The zone's name (in English)."),
    "sector_code": _l("The code of the company's sector of activity."),
    "sector_name": _l("The sector's name (in English)."),
    "registered_on": _l("The date of registration, in the zone's time zone (YYYY-MM-DD)."),
    "address": _l("The company's address in the zone."),
    "director": _l("The name of the company's director."),
    "status": _l(
        "The company's status, as a code: active, suspended or struck_off (struck off the "
        "register)."
    ),
    "status_reason": _l("Why the company has its status (empty while it is active)."),
    "status_since": _l("The date since which the company has its status (YYYY-MM-DD)."),
    "owners": _l(
        "The beneficial owners as the public record shows them: name, month and year of birth, "
        "nationality and nature of control (in the CSV, as JSON text)."
    ),
}

# The example company of the data dictionary (by PublicCompany's field names).
_EXAMPLE = {
    "number": "KEG-IND-2026-000123",
    "name": "Silk Way Textiles LLP",
    "legal_form": "llp",
    "registered_on": date(2026, 3, 14),
    "address": "Khorgos - Eastern Gate, industrial zone, building 7",
    "director": "Aruzhan Bekova",
    "owners": (),
    "status": "active",
    "status_reason": "",
    "status_since": date(2026, 3, 14),
}


class OpenDataError(Exception):
    """The release could not be written (the directory, the disk)."""


@dataclass(frozen=True)
class DataFile:
    name: str
    format: str  # a key of FORMATS
    size: int
    sha256: str

    @property
    def media_type(self) -> str:
        return GZIP_TYPE


@dataclass(frozen=True)
class Release:
    """One day's files."""

    date: date
    generated_at: datetime
    rows: int
    files: tuple[DataFile, ...]

    def file(self, format_: str) -> DataFile | None:
        return next((f for f in self.files if f.format == format_), None)


@dataclass(frozen=True)
class Field:
    """A column of the CSV (and where it is in a JSON line), as the data dictionary shows it."""

    name: str
    json_path: str
    type: str  # a Table Schema type: string, date, integer, boolean, array, object
    description: str
    example: str


@dataclass(frozen=True)
class Manifest:
    releases: tuple[Release, ...]  # newest first
    fields: tuple[Field, ...]

    @property
    def latest(self) -> Release | None:
        return self.releases[0] if self.releases else None

    def names(self) -> set[str]:
        """Every file a visitor may download: the releases', the dictionary and the manifest."""
        names = {f.name for r in self.releases for f in r.files}
        return names | {DICTIONARY, MANIFEST} if self.releases else names


def directory() -> Path:
    return Path(current_app.config["OPEN_DATA_DIR"])


def media_type(name: str) -> str:
    return "application/json" if name.endswith(".json") else GZIP_TYPE


def file_name(day: date, format_: str) -> str:
    return f"{DATASET}-{day.isoformat()}.{FORMATS[format_]}"


# --- the fields -------------------------------------------------------------------------------


def flatten(record: dict, prefix: str = "") -> dict[str, Any]:
    """A record as one CSV row: nested objects become `outer_inner` columns, in order."""
    row: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            row.update(flatten(value, name + "_"))
        else:
            row[name] = value
    return row


def _json_paths(record: dict, prefix: str = "") -> dict[str, str]:
    """{CSV column: the dotted path to its value in a JSON line}."""
    paths: dict[str, str] = {}
    for key, value in record.items():
        if isinstance(value, dict):
            for column, path in _json_paths(value, f"{prefix}{key}_").items():
                paths[column] = f"{key}.{path}"
        else:
            paths[f"{prefix}{key}"] = key
    return paths


def csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def _example_value(field: dataclasses.Field) -> Any:
    if field.name in _EXAMPLE:
        return _EXAMPLE[field.name]
    if field.default not in (dataclasses.MISSING, None):
        return field.default
    kind = str(field.type)
    if field.name == "zone" or kind == "Zone":
        return Zone(code="KEG-IND", name='SEZ "Khorgos - Eastern Gate", industrial zone')
    if field.name == "sector" or kind == "Sector":
        return Sector(code="textiles", name="Textiles")
    if "datetime" in kind:
        return datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
    if "date" in kind:
        return date(2026, 3, 14)
    if "tuple" in kind or "list" in kind:
        return ()
    if "bool" in kind:
        return False
    if "int" in kind:
        return 0
    if kind.startswith("str"):
        return ""
    return None


def example_record() -> dict:
    """`record()` of an example company: the dictionary's examples, and the files' columns
    (the same whether the register holds a million companies or none)."""
    company = public_registry.PublicCompany(
        **{f.name: _example_value(f) for f in dataclasses.fields(public_registry.PublicCompany)}
    )
    try:
        return public_registry.record(company)
    except Exception:  # a new field this example cannot stand for: a real company's record
        current_app.logger.exception("The open data example record could not be made.")
        first = next(public_registry.every_company(batch=1), None)
        if first is None:
            raise
        return public_registry.record(first)


def _table_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return "date"
    return "string"


def fields() -> tuple[Field, ...]:
    """The data dictionary, in the files' column order (descriptions in the current language)."""
    record = example_record()
    paths = _json_paths(record)
    return tuple(
        Field(
            name=column,
            json_path=paths[column],
            type=_table_type(value),
            description=str(DESCRIPTIONS.get(column, "")),
            example=csv_value(value),
        )
        for column, value in flatten(record).items()
    )


def dictionary_document(columns: Iterable[Field]) -> dict:
    """The data dictionary as a Table Schema (frictionlessdata.io), with each field's JSON path."""
    return {
        "name": DATASET,
        "title": "Khorgos Gateway: the public register of companies",
        "licenses": [{"name": "CC-BY-4.0", "path": LICENCE_URL}],
        "encoding": "utf-8",
        "dialect": {"delimiter": ",", "header": True, "lineTerminator": "\r\n"},
        "fields": [dataclasses.asdict(f) for f in columns],
    }


# --- publishing -------------------------------------------------------------------------------


@contextlib.contextmanager
def _atomic(path: Path) -> Iterator[io.BufferedWriter]:
    """A file written under a temporary name in the same directory, renamed over `path` once
    complete (and flushed to disk); removed if writing fails."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as raw:
            yield raw
            raw.flush()
            os.fsync(raw.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def _gzip(raw) -> gzip.GzipFile:
    # No name and no time in the header: the same records always give the same bytes and hash.
    return gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0)


def _described(path: Path, format_: str) -> DataFile:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return DataFile(path.name, format_, path.stat().st_size, digest.hexdigest())


def _write_records(
    records: Iterable[dict], columns: list[str], csv_path: Path, jsonl_path: Path
) -> int:
    """Both files in one pass over the records; how many rows each holds."""
    rows = 0
    with (
        _atomic(csv_path) as csv_raw,
        _atomic(jsonl_path) as jsonl_raw,
        _gzip(csv_raw) as csv_gz,
        _gzip(jsonl_raw) as jsonl_gz,
        io.TextIOWrapper(csv_gz, encoding="utf-8", newline="") as csv_text,
    ):
        writer = csv.writer(csv_text)
        writer.writerow(columns)
        for record in records:
            row = flatten(record)
            writer.writerow([csv_value(row.get(column)) for column in columns])
            line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str)
            jsonl_gz.write(line.encode("utf-8") + b"\n")
            rows += 1
    return rows


def _write_json(path: Path, document: dict) -> None:
    with _atomic(path) as raw:
        raw.write(json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8") + b"\n")


@contextlib.contextmanager
def _publishing_lock(folder: Path) -> Iterator[None]:
    """One publication at a time in a directory (two cron runs, or one and `make run`)."""
    with (folder / LOCK).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _consistent_snapshot() -> None:
    """On PostgreSQL, read every batch from one snapshot (the rows add up to one moment)."""
    if db.engine.dialect.name == "postgresql" and not db.session().in_transaction():
        db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def publish(today: date | None = None, keep_days: int | None = None) -> Release:
    """Write today's release (replacing one written earlier today), update the manifest and
    delete the releases beyond the last `keep_days` days. Reads only; commits nothing."""
    folder = directory()
    keep = keep_days or current_app.config["OPEN_DATA_KEEP_DAYS"]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OpenDataError(f"Cannot create {folder}: {exc}") from exc
    day = today or zone_time.today()
    columns = fields()
    names = [f.name for f in columns]
    csv_path, jsonl_path = folder / file_name(day, "csv"), folder / file_name(day, "jsonl")
    _consistent_snapshot()
    records = (public_registry.record(c) for c in public_registry.every_company())
    try:
        with _publishing_lock(folder):
            rows = _write_records(records, names, csv_path, jsonl_path)
            release = Release(
                date=day,
                generated_at=datetime.now(UTC).replace(microsecond=0),
                rows=rows,
                files=(_described(csv_path, "csv"), _described(jsonl_path, "jsonl")),
            )
            _write_json(folder / DICTIONARY, dictionary_document(columns))
            earlier = [r for r in _read_releases(folder) if r.date != day]
            kept = sorted([release, *earlier], key=lambda r: r.date, reverse=True)[:keep]
            _write_json(folder / MANIFEST, _manifest_document(kept))
            _prune(folder, {f.name for r in kept for f in r.files})
    except OSError as exc:
        raise OpenDataError(f"Cannot write the open data files in {folder}: {exc}") from exc
    return release


def publish_job() -> None:
    """The RQ job (`rq enqueue -q mail portal.services.open_data.publish_job`, e.g. daily from
    a scheduler): `publish()` in an app of its own, as a worker has no request."""
    from portal import create_app

    with create_app().app_context():
        try:
            publish()
        finally:
            # The app lives for this job alone: its connections close with it, not when the
            # worker's garbage collector comes by.
            db.session.remove()
            db.engine.dispose()


def _manifest_document(releases: list[Release]) -> dict:
    return {
        "dataset": DATASET,
        "licence": LICENCE_URL,
        "dictionary": DICTIONARY,
        "releases": [
            {
                "date": r.date.isoformat(),
                "generated_at": r.generated_at.isoformat().replace("+00:00", "Z"),
                "rows": r.rows,
                "files": [dataclasses.asdict(f) | {"media_type": f.media_type} for f in r.files],
            }
            for r in releases
        ],
    }


def _prune(folder: Path, kept: set[str]) -> list[str]:
    """Delete the release files the manifest no longer names, and stale temporary files."""
    deleted = []
    now = time.time()
    for path in folder.iterdir():
        stale_temp = path.name.endswith(".tmp") and path.name.startswith(f".{DATASET}")
        if RELEASE_FILE.match(path.name) and path.name not in kept:
            path.unlink(missing_ok=True)
            deleted.append(path.name)
        elif stale_temp and now - path.stat().st_mtime > STALE_TEMP_SECONDS:
            path.unlink(missing_ok=True)
    return deleted


# --- reading ----------------------------------------------------------------------------------


def _read_releases(folder: Path) -> list[Release]:
    """The releases the manifest lists whose files are all there (none without a manifest)."""
    try:
        document = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        releases = [
            Release(
                date=date.fromisoformat(r["date"]),
                generated_at=datetime.fromisoformat(r["generated_at"].replace("Z", "+00:00")),
                rows=int(r["rows"]),
                files=tuple(
                    DataFile(f["name"], f["format"], int(f["size"]), f["sha256"])
                    for f in r["files"]
                ),
            )
            for r in document["releases"]
        ]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    return [
        r
        for r in releases
        if all(RELEASE_FILE.match(f.name) and (folder / f.name).is_file() for f in r.files)
    ]


def manifest() -> Manifest:
    """What is published now, newest first, and the data dictionary."""
    return Manifest(releases=tuple(_read_releases(directory())), fields=fields())


def published_path(name: str) -> Path | None:
    """The file `name` if the manifest names it (nothing else in the directory is served)."""
    if name not in Manifest(releases=tuple(_read_releases(directory())), fields=()).names():
        return None
    path = directory() / name
    return path if path.is_file() else None
