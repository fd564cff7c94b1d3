"""Answers of the public API kept by each process while the public data do not change.

A company's record, its verification and the reference data are the same for every caller
until a commit changes a registration, a zone or a sector; `page_cache` then sets a new public
version (read once a request: a few bytes from Redis), and every answer kept under the old one
is built afresh. The version itself is read again after API_VERSION_SECONDS (default 1 s):
an answer is then at most that much older than the register, well within the 60 s its
Cache-Control already allows, and a request pays no Redis round trip for it most of the time.
Without a shared cache (no Redis, NullCache) nothing is kept. At most `KEPT_ANSWERS` answers
per process, the least recently used dropped first, so invented addresses cannot fill the
memory (and only answers that were found are kept).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from flask import current_app

from portal import page_cache

KEPT_ANSWERS = 2048
_kept: OrderedDict[str, tuple[str, str]] = OrderedDict()
_version_seen: tuple[str | None, float] = (None, 0.0)  # (version, when it was read)


def _public_version() -> str | None:
    global _version_seen
    version, read_at = _version_seen
    now = time.monotonic()
    if version is not None and now - read_at < current_app.config["API_VERSION_SECONDS"]:
        return version
    version = page_cache.public_version()
    _version_seen = (version, now)
    return version


def kept(key: str, build: Callable[[], str]) -> str:
    """`build()`'s answer for `key`, from this process's copy while the public version holds."""
    version = _public_version()
    if version is None:
        return build()
    found = _kept.get(key)
    if found is not None and found[0] == version:
        _kept.move_to_end(key)
        return found[1]
    data = build()
    _kept[key] = (version, data)
    _kept.move_to_end(key)
    while len(_kept) > KEPT_ANSWERS:
        _kept.popitem(last=False)
    return data
