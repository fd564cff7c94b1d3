"""What is rendered once and kept, each under a version that the commit changing it renews.

- **Visitors' pages** (home, registry, verification): the same for every visitor who is not
  signed in, in one language, so the page a view rendered once is served again from the cache
  (Redis through Flask-Caching; in-process or none without Redis) until the *public version*
  changes. A page with a form keeps its CSRF token as a placeholder, put back per request.
- **The dashboard's figures**, shared by staff until the daily counts change (and 60 s).
- **A reviewer's queue** (counts, filters, rows), per reviewer and address, until the *queue
  version* changes (and 60 s, for the days waiting).
- **An investor's list**, per investor, until *their own version* changes.

A commit that touches what one of them shows sets a new version after it lands (the listeners
at the bottom), so the next request renders afresh and a change shows at once. A version is
read before the page is rendered, so a page rendered from data older than a change can never
be stored as current. Each process keeps its own copies of what it served last (`_local`) and
serves them only while their version is the shared one. A cache that fails (Redis away) is
skipped for a few seconds, with a warning in the log: pages render as if there were no cache.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import secrets
import threading
import time
from collections import OrderedDict

from cachelib import RedisCache
from flask import Flask, Response, current_app, g, has_app_context, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from portal import lifecycle
from portal.extensions import cache, redis_connection
from portal.models import (
    STAFF_ROLES,
    Application,
    Baseline,
    CompanyStatusEvent,
    PublishedKey,
    Registration,
    RegistrationVersion,
    RejectionReason,
    Sector,
    User,
    Zone,
    ZoneContact,
    zone_sectors,
)
from portal.services import daily_counts
from portal.urls import page_number

log = logging.getLogger(__name__)

VERSION_KEY = "public:version"
# Models whose rows the public pages show; a commit touching any of them renews the pages.
PUBLIC_MODELS = (
    Registration,
    CompanyStatusEvent,  # a company's status history (its registration changes with it)
    RegistrationVersion,  # a company's record versions (likewise)
    Zone,
    Sector,
    ZoneContact,
    PublishedKey,
    RejectionReason,
)
PUBLIC_TABLES = {m.__table__.name for m in PUBLIC_MODELS} | {zone_sectors.name}
# Bulk writes to these change the review queue (see _in_queue for writes through objects).
QUEUE_TABLES = {Application.__table__.name, Registration.__table__.name}
# A stand-in for the session's CSRF token in a stored page (never a real token's characters).
CSRF_SLOT = "\x00csrf\x00"
# Pages of a list beyond this one are kept by each process alone (see public_page).
SHARED_PAGES = 20
# After a cache error, how long the cache is left alone (requests render as without a cache).
PAUSE_SECONDS = 5.0
_paused_until = 0.0


def redis_backend(app: Flask, config: dict, args: list, kwargs: dict) -> RedisCache:
    """Flask-Caching's backend on the app's own Redis client (its timeouts included)."""
    return RedisCache(
        host=redis_connection(app),
        key_prefix=config["CACHE_KEY_PREFIX"],
        default_timeout=kwargs["default_timeout"],
    )


def _enabled() -> bool:
    return current_app.config.get("CACHE_TYPE") != "NullCache" and time.monotonic() >= (
        _paused_until
    )


def _failed(action: str, error: Exception) -> None:
    """Note a cache error and leave the cache alone for a moment: pages render without it."""
    global _paused_until
    _paused_until = time.monotonic() + PAUSE_SECONDS
    log.warning(
        "page cache: %s failed (%s); pages render without the cache for %d s",
        action,
        error,
        PAUSE_SECONDS,
    )


def _key() -> str:
    return f"page:{g.get('locale') or 'en'}:{request.full_path}"


def _cacheable() -> bool:
    """A plain GET by a visitor who is not signed in and has no message waiting."""
    return (
        request.method == "GET"
        and not current_user.is_authenticated
        and "_flashes" not in session
        and _enabled()
    )


def public_page(view=None, *, params: tuple[str, ...] = (), free_text: tuple[str, ...] = ()):
    """Serve the view's page from the cache for visitors who are not signed in.

    Only for a query of the parameters `params` (any other parameter: rendered as without a
    cache). Pages for typed text (`free_text`) and deep page numbers are kept by this process
    alone (a bounded number of them), so no visitor can fill the shared cache by inventing
    queries; every other page is kept in the shared cache too.
    """
    if view is None:
        return functools.partial(public_page, params=params, free_text=free_text)

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not _cacheable() or any(name not in params for name in request.args):
            return view(*args, **kwargs)
        shared = not any(request.args.get(n) for n in free_text) and page_number() <= SHARED_PAGES
        key = _key()
        try:
            version = _version()
            # This process's copy first (no page crosses the wire), then the shared cache.
            stored = _local.get(key)
            if shared and (stored is None or stored[0] != version):
                stored = cache.get(key)
                if stored is not None and stored[0] == version:
                    _local.keep(key, stored)
        except Exception as error:  # noqa: BLE001 - any cache failure: render without it
            _failed("reading", error)
            return view(*args, **kwargs)
        if stored is not None and stored[0] == version:
            body = stored[1]
            if CSRF_SLOT in body:
                return Response(body.replace(CSRF_SLOT, generate_csrf()), mimetype="text/html")
            return _conditional(Response(body, mimetype="text/html"), version, key)
        response = current_app.make_response(view(*args, **kwargs))
        if response.status_code == 200 and response.mimetype == "text/html":
            body = response.get_data(as_text=True)
            token = g.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
            if token:
                body = body.replace(token, CSRF_SLOT)
            else:
                response = _conditional(response, version, key)
            try:
                if shared:
                    cache.set(key, (version, body))
            except Exception as error:  # noqa: BLE001
                _failed("storing", error)
            else:
                _local.keep(key, (version, body))
        return response

    return wrapper


def _conditional(response: Response, version: str, key: str) -> Response:
    """A page that is the same bytes for every visitor in its language (no CSRF token): its
    ETag names the public version and the page, so a browser that has it is answered 304 until
    the public data change; it asks again each time (no-cache), so a change shows at once."""
    digest = hashlib.blake2s(f"{version}\x00{key}".encode(), digest_size=12).hexdigest()
    response.set_etag(digest)
    response.cache_control.no_cache = True
    response.vary.update(("Cookie", "Accept-Language"))
    return response.make_conditional(request)


class _Kept(OrderedDict):
    """The pages and parts this process served last, by key: (version, HTML[, deadline]).
    Served only while their version is the shared one, which is read on every request (a few
    bytes), so they are never stale. Bounded by their size: the first kept go first."""

    def __init__(self, limit: int):
        super().__init__()
        self.limit, self.size = limit, 0
        self._lock = threading.Lock()  # the development server answers in threads

    def keep(self, key: str, stored: tuple) -> None:
        with self._lock:
            old = self.pop(key, None)
            if old is not None:
                self.size -= len(old[1])
            self[key] = stored
            self.size += len(stored[1])
            while self.size > self.limit and len(self) > 1:
                self.size -= len(self.popitem(last=False)[1][1])

    def clear(self) -> None:
        with self._lock:
            super().clear()
            self.size = 0


# Every certificate's page of a busy day in four languages (3-4 KB each), the registry's pages
# (13 KB) and a few dashboards (a year of figures: a few hundred KB): at most this much a
# process. A count of 256 pages let certificates' pages fall out and come back from Redis, a
# round trip each, under load (benchmarks/RESULTS.md).
LOCAL_BYTES = 16 * 2**20
_local = _Kept(LOCAL_BYTES)


def _version() -> str:
    """The public version the pages are rendered under (set on first use), read once a request
    and fetched from the shared cache at most every PUBLIC_VERSION_SECONDS by each process: a
    change made through another process shows there within that time (1 s by default), one
    made through this process at once (`renew`). A version read too early is only ever older
    than the data, so a page is never kept under a version newer than what it shows."""
    version = g.get("_public_version")
    if version is None:
        seen = current_app.extensions.setdefault("public_version", [None, 0.0])
        now = time.monotonic()
        version = seen[0]
        if version is None or now - seen[1] >= current_app.config["PUBLIC_VERSION_SECONDS"]:
            version = cache.get(VERSION_KEY)
            if version is None:
                cache.add(VERSION_KEY, secrets.token_hex(8), timeout=0)
                version = cache.get(VERSION_KEY)
            seen[:] = [version, now]
        g._public_version = version
    return version


def public_version() -> str | None:
    """The public version now (read once a request), or None without a cache or while it
    fails: for what keeps its own copies of answers drawn from the public data (portal/api/)."""
    if not has_app_context() or not _enabled():
        return None
    try:
        return _version()
    except Exception as error:  # noqa: BLE001
        _failed("reading", error)
        return None


_shared: dict[str, tuple[str, object]] = {}


def shared(name: str, build):
    """A value built from the public data (reference data and its translations), kept by this
    process while the public version holds; without a shared cache, built on every call."""
    if not has_app_context() or not _enabled():
        return build()
    try:
        version = _version()
    except Exception as error:  # noqa: BLE001
        _failed("reading", error)
        return build()
    kept = _shared.get(name)
    if kept is not None and kept[0] == version:
        return kept[1]
    value = build()
    _shared[name] = (version, value)
    return value


def renew() -> None:
    """A new public version: every cached page is rendered afresh on its next request."""
    if not has_app_context() or current_app.config.get("CACHE_TYPE") == "NullCache":
        return
    version = secrets.token_hex(8)
    try:
        cache.set(VERSION_KEY, version, timeout=0)
    except Exception as error:  # noqa: BLE001
        _failed("renewing", error)
    else:
        current_app.extensions["public_version"] = [version, time.monotonic()]


# --- the dashboard's figures ---------------------------------------------------------------

FIGURES_VERSION_KEY = "figures:version"
# The figures are renewed when the counts change; this bounds what only the clock changes
# (how long open applications have waited, a reviewer's name).
FIGURES_SECONDS = 60
# A commit writing the daily counts sets this in the session.
COUNTS_WRITTEN = daily_counts.WRITTEN


def _rendered(html: str) -> Markup:
    return Markup(html)  # noqa: S704 - HTML a template rendered, escaped as it was rendered


def figures(scope: str, render) -> Markup:
    """The dashboard's filters and figures (HTML) for `scope` (its window and filters),
    rendered once per language and address until the counts change, then served to every staff
    member."""
    if not _enabled():
        return _rendered(render())
    key = f"figures:{g.get('locale') or 'en'}:{scope}:{request.full_path}"
    try:
        (version,) = _versions((FIGURES_VERSION_KEY,))
    except Exception as error:  # noqa: BLE001
        _failed("reading", error)
        return _rendered(render())
    return _fragment(key, version, FIGURES_SECONDS, render)


def _versions(keys: tuple[str, ...]) -> list[str]:
    """The versions under these keys, in one round trip. One that is missing (never set, or
    lost by Redis) is set afresh first: a part kept under an older version is never taken for
    current because its version went missing."""
    versions = cache.get_many(*keys)
    if None in versions:
        for key, version in zip(keys, versions, strict=True):
            if version is None:
                cache.add(key, secrets.token_hex(8), timeout=0)
        versions = cache.get_many(*keys)
    # Still missing (a cache that keeps nothing): a version of this request alone.
    return [v if v is not None else secrets.token_hex(8) for v in versions]


def _fragment(key: str, version: str, seconds: int, render) -> Markup:
    """The HTML stored under `key` if it was rendered under `version` less than `seconds` ago
    (this process's copy first, then the shared cache), else `render()`'s, stored."""
    try:
        stored = _local.get(key)
        if stored is None or stored[0] != version or stored[2] < time.time():
            stored = cache.get(key)
            if stored is not None and stored[0] == version:
                _local.keep(key, stored)
    except Exception as error:  # noqa: BLE001
        _failed("reading", error)
        return _rendered(render())
    if stored is not None and stored[0] == version and stored[2] >= time.time():
        return _rendered(stored[1])
    html = render()
    stored = (version, html, time.time() + seconds)  # a wall-clock deadline: shared
    try:
        cache.set(key, stored, timeout=seconds)
    except Exception as error:  # noqa: BLE001
        _failed("storing", error)
    else:
        _local.keep(key, stored)
    return _rendered(html)


def renew_figures() -> None:
    _renew_versions([FIGURES_VERSION_KEY])


def _renew_versions(keys) -> None:
    """A new version under each key, in one round trip."""
    if not has_app_context() or current_app.config.get("CACHE_TYPE") == "NullCache":
        return
    try:
        cache.set_many({key: secrets.token_hex(8) for key in keys}, timeout=0)
    except Exception as error:  # noqa: BLE001
        _failed("renewing", error)


# --- the review queue ------------------------------------------------------------------------

QUEUE_VERSION_KEY = "queue:version"
# The queue is renewed by every commit that changes what it lists; this bounds what only the
# clock changes (the days an application has waited).
QUEUE_SECONDS = 60


def queue(user_id: int, render) -> Markup:
    """The review queue's counts, filters and rows (HTML) for one staff member at one address:
    a reviewer reloading the queue while nothing moved gets what was rendered for them last.
    Per staff member, because "me" and the reviewer choices depend on who asks."""
    return _personal("queue", user_id, (QUEUE_VERSION_KEY,), QUEUE_SECONDS, render)


def applications(user_id: int, render) -> Markup:
    """An investor's list of their applications (HTML), until one of them changes."""
    versions = (owner_version_key(user_id), LISTS_VERSION_KEY)
    return _personal("applications", user_id, versions, LIST_SECONDS, render)


def _personal(kind: str, user_id: int, version_keys: tuple[str, ...], seconds: int, render):
    """A part of one signed-in user's page, kept while the versions it depends on hold. They
    are read from the shared cache on every request (never a process's memo), so what the user
    just did through any process shows on their next look."""
    if not _enabled():
        return _rendered(render())
    key = f"{kind}:{g.get('locale') or 'en'}:{user_id}:{request.full_path}"
    try:
        # Zone and sector names come with the public version.
        version = ":".join([*_versions(version_keys), _version()])
    except Exception as error:  # noqa: BLE001
        _failed("reading", error)
        return _rendered(render())
    return _fragment(key, version, seconds, render)


def renew_queue() -> None:
    _renew_versions([QUEUE_VERSION_KEY])


# --- an investor's list of applications --------------------------------------------------------

# Renewed for an investor by every commit that writes one of their applications or what the
# list says of them (their address, whether it is confirmed); LISTS_VERSION_KEY for everyone
# by a bulk write to the applications (whose owners are not known one by one).
LISTS_VERSION_KEY = "lists:version"
# Nothing in the list moves with the clock: this only bounds what is kept.
LIST_SECONDS = 600
LIST_USER_FIELDS = ("email", "email_confirmed_at")


def owner_version_key(user_id: int) -> str:
    return f"owner:{user_id}:version"


def renew_lists(owner_ids) -> None:
    _renew_versions(owner_version_key(i) for i in owner_ids)


# --- what changes the public pages and the figures -------------------------------------------

CHANGED = "public_pages_changed"
FIGURES_CHANGED = "figures_changed"
QUEUE_CHANGED = "queue_changed"
OWNERS_CHANGED = "owners_changed"  # the investors whose list of applications changed
LISTS_CHANGED = "lists_changed"
# Reference data the dashboard's figures name (the counts themselves: COUNTS_WRITTEN), and the
# companies' status moves and record versions, which the figures count from their own tables.
FIGURES_MODELS = (Baseline, RejectionReason, Zone, Sector, CompanyStatusEvent, RegistrationVersion)


def _is_public(obj) -> bool:
    if isinstance(obj, PUBLIC_MODELS):
        return True
    # A registered company's record is read from its application too.
    return isinstance(obj, Application) and obj.status == lifecycle.APPROVED


# What the queue shows of a user: the investor's address, the reviewer's name, the choices.
QUEUE_USER_FIELDS = ("email", "full_name", "role")


def _in_queue(session, obj) -> bool:
    """Whether writing `obj` can change what the review queue shows."""
    if isinstance(obj, Application):
        # A draft is in no queue until it is submitted (a move of its status).
        return obj.status != lifecycle.DRAFT or (
            obj not in session.new and inspect(obj).attrs.status.history.has_changes()
        )
    if isinstance(obj, User):
        if obj in session.new:
            return obj.role in STAFF_ROLES
        return obj in session.deleted or _changed(obj, QUEUE_USER_FIELDS)
    return isinstance(obj, (Registration, Zone, Sector))


@event.listens_for(Session, "before_flush")
def _note_changed_objects(session, _context, _instances):
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(_is_public(o) for o in changed):
        session.info[CHANGED] = True
    if any(isinstance(o, FIGURES_MODELS) for o in changed):
        session.info[FIGURES_CHANGED] = True
    if any(_in_queue(session, o) for o in changed):
        session.info[QUEUE_CHANGED] = True


@event.listens_for(Session, "after_flush")
def _note_changed_owners(session, _context):
    """After the flush, when a new application knows its owner's id."""
    changed = (*session.new, *session.dirty, *session.deleted)
    owners = {o.owner_id for o in changed if isinstance(o, Application)}
    owners |= {o.id for o in session.dirty if isinstance(o, User) and _changed(o, LIST_USER_FIELDS)}
    owners.discard(None)
    if owners:
        session.info.setdefault(OWNERS_CHANGED, set()).update(owners)


def _changed(obj, names: tuple[str, ...]) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_writes(state):
    """Writes not made through objects (bulk inserts, updates and deletes)."""
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        name = getattr(table, "name", None)
        if name in PUBLIC_TABLES:
            state.session.info[CHANGED] = True
        if name in QUEUE_TABLES:
            state.session.info[QUEUE_CHANGED] = True
        if name == Application.__table__.name:
            state.session.info[LISTS_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _renew_after_commit(session):
    if session.info.pop(CHANGED, False):
        renew()
    figures_changed = session.info.pop(FIGURES_CHANGED, False)
    if session.info.pop(COUNTS_WRITTEN, False) or figures_changed:
        renew_figures()
    if session.info.pop(QUEUE_CHANGED, False):
        renew_queue()
    if session.info.pop(LISTS_CHANGED, False):
        _renew_versions([LISTS_VERSION_KEY])
    owners = session.info.pop(OWNERS_CHANGED, None)
    if owners:
        renew_lists(owners)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session):
    flags = (CHANGED, FIGURES_CHANGED, QUEUE_CHANGED, OWNERS_CHANGED, LISTS_CHANGED)
    for flag in (*flags, COUNTS_WRITTEN):
        session.info.pop(flag, None)
