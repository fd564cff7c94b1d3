"""Answers of the public API kept by each process while the public data do not change.

A company's record, its verification and the reference data are the same for every caller
until a commit changes a registration, a zone or a sector; `page_cache` then sets a new public
version, and every answer kept under the old one is built afresh. Each process asks Redis for
the version at most every PUBLIC_VERSION_SECONDS (default 1 s; `page_cache.public_version`):
an answer is then at most that much older than the register, well within the 60 s its
Cache-Control already allows, and a request pays no Redis round trip for it most of the time.
Without a shared cache (no Redis, NullCache) nothing is kept. At most `KEPT_ANSWERS` answers
per process, the least recently used dropped first, so invented addresses cannot fill the
memory (and only answers that were found are kept).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from portal import page_cache

KEPT_ANSWERS = 2048
_kept: OrderedDict[str, tuple[str, str]] = OrderedDict()


def kept(key: str, build: Callable[[], str]) -> str:
    """`build()`'s answer for `key`, from this process's copy while the public version holds."""
    version = page_cache.public_version()
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
