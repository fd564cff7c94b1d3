"""Third-party files: each one is listed in static/vendor/README with where it came from, its
licence and its SHA-256, and the file we ship is the one listed."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "static" / "vendor" / "README"
FIELDS = ("name", "version", "source", "licence", "sha256")

# An entry: a path at the start of a line, then its fields indented by four spaces.
_ENTRY = re.compile(r"^((?:static|portal)/\S+)\n((?: {4}.*\n)+)", re.MULTILINE)
_FIELD = re.compile(r"^ {4}(\w+):", re.MULTILINE)
_SHA256 = re.compile(r"^ {4}sha256: +([0-9a-f]{64})$", re.MULTILINE)


def listed() -> dict[str, str]:
    """{path from the repository root: the entry's fields}."""
    return {path: body for path, body in _ENTRY.findall(README.read_text(encoding="utf-8"))}


def shipped() -> list[str]:
    vendor = [p for p in (ROOT / "static" / "vendor").rglob("*") if p.is_file() and p != README]
    fonts = (ROOT / "portal" / "fonts").glob("*.ttf")
    return sorted(p.relative_to(ROOT).as_posix() for p in [*vendor, *fonts])


def test_every_vendored_file_is_listed_with_its_source_licence_and_sha256():
    entries = listed()
    assert shipped(), "no vendored files found: is ROOT right?"
    missing = [path for path in shipped() if path not in entries]
    assert missing == [], f"add these to static/vendor/README: {missing}"
    for path, body in entries.items():
        fields = _FIELD.findall(body)
        assert [f for f in FIELDS if f not in fields] == [], f"{path}: fields missing"


def test_every_listed_file_exists_and_has_the_listed_sha256():
    for path, body in listed().items():
        file = ROOT / path
        assert file.is_file(), f"static/vendor/README lists {path}, which does not exist"
        (expected,) = _SHA256.findall(body)
        actual = hashlib.sha256(file.read_bytes()).hexdigest()
        assert actual == expected, f"{path}: SHA-256 is {actual}, README says {expected}"
