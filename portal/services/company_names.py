"""The company-name check: is a proposed name free, taken, or close to one already in use?

Names are compared after `normalise`: case, spacing, punctuation and quotation marks, the
legal-form words of the four languages (LLP / ТОО / ЖШС, JSC / АО / АҚ, Ltd, 有限公司 ...) and
Latin/Cyrillic look-alike letters set aside. A name is *taken* when a registered company or an
application under review (`lifecycle.OPEN`) has the same normalised name; it is *similar* when
one has the same words in another order or is a small edit away.

Both tables keep the keys beside the name (`normalised_name`, indexed, for the exact clash;
`name_words`, the words sorted, for near clashes; registrations also `reversed_name`, the
normalised name backwards), kept true by the listener at the bottom of this module whatever
sets `company_name`. Near clashes among registrations are read as bounded sets of candidates
(the index neighbours of each key: the same on SQLite and PostgreSQL) and judged by one rule
in Python. Applications under review are few: read through the status index.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import event

from portal import lifecycle
from portal.extensions import db
from portal.models import Application, Registration

KEY_LENGTH = 400  # the columns' length; NFKC may lengthen a 200-character name

# Cyrillic (and Kazakh) letters folded to the Latin letter they look like, as a capital
# (`В`/`B`, `Н`/`H`) or as a small letter (`а`/`a`, `с`/`c`). Applied after casefold, to the
# small letters, so that a name's keys do not depend on its case.
_LOOK_ALIKES = str.maketrans("авсенікмортхуүһјѕԛԝ", "abcehikmoptxyyhjsqw")

# Legal-form words, as written; folded like names when the module loads.
_LEGAL_WORDS = (
    # English
    "llp", "llc", "ltd", "limited", "inc", "incorporated", "corp", "corporation", "co",
    "company", "plc", "jsc", "lp", "pte", "gmbh",
    # Russian
    "тоо", "ао", "оао", "зао", "пао", "ооо", "ип",
    # Kazakh ("ақ" is also "white": a name's word as well, set aside all the same)
    "жшс", "ақ", "жақ", "жк",
    # Latin transliterations (not "ak", a common word of names: Ak Zhol, Ak Bota)
    "too", "ao", "zhshs",
)  # fmt: skip
_LEGAL_PHRASES = (
    "limited liability partnership",
    "limited liability company",
    "joint stock company",
    "public limited company",
    "товарищество с ограниченной ответственностью",
    "общество с ограниченной ответственностью",
    "акционерное общество",
    "индивидуальный предприниматель",
    "жауапкершілігі шектеулі серіктестік",
    "акционерлік қоғам",
    "жеке кәсіпкер",
)
# Chinese legal forms end a name with no space before them: removed from the end of a word,
# longest first (simplified and traditional).
_CHINESE_SUFFIXES = (
    "股份有限公司",
    "有限责任公司",
    "有限責任公司",
    "有限公司",
    "股份公司",
    "公司",
)

_WORD = re.compile(r"[^\W_]+")
_DOTTED = re.compile(r"(?<=[^\W_])\.(?=[^\W_])")  # L.L.P. -> LLP.


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().translate(_LOOK_ALIKES)


def _tokens(text: str) -> list[str]:
    return _WORD.findall(_DOTTED.sub("", _fold(text)))


_LEGAL = frozenset(w for word in _LEGAL_WORDS for w in _tokens(word))
_PHRASES = sorted((tuple(_tokens(p)) for p in _LEGAL_PHRASES), key=len, reverse=True)


# A name in quotation marks after or before its legal form: ТОО «Жібек жолы», "Silk Road" LLP
# (quotation marks that open after a space and close before one: not O'Brien's).
_QUOTED = re.compile(r"(?:^|(?<=\s))[«\"“„”‘‚'「『](.+?)[»\"”“’'」』](?=$|[\s.,;)]|[^\w\s])")


def _legal_form_at(tokens: list[str], start: int) -> int:
    """How many tokens from `start` are a legal form (0: none)."""
    for phrase in _PHRASES:
        if tuple(tokens[start : start + len(phrase)]) == phrase:
            return len(phrase)
    return 1 if start < len(tokens) and tokens[start] in _LEGAL else 0


def words(name: str) -> list[str]:
    """The name's words, folded, without punctuation and its legal form. The legal form is at
    either end, or outside the quotation marks: a word such as "Ақ" ("white", and the Kazakh
    JSC) inside the name stays."""
    name = name or ""
    quoted = _QUOTED.search(name)
    if quoted is None:
        return _strip_forms(_name_tokens(name), at_start=True)
    before = _strip_forms(_name_tokens(name[: quoted.start()]), at_start=True)
    inside = _strip_forms(_name_tokens(quoted.group(1)), at_start=False)
    after = _strip_forms(_name_tokens(name[quoted.end() :]), at_start=False)
    return before + inside + after


def _name_tokens(text: str) -> list[str]:
    return [t for t in (_without_chinese_form(t) for t in _tokens(text)) if t]


def _strip_forms(tokens: list[str], at_start: bool) -> list[str]:
    """Without the legal forms at the end ("Silk Road Co., Ltd.": all of them) or, when there
    are none there and `at_start`, the one at the start ("ТОО Silk Road")."""
    stripped_end = False
    while tokens:
        for size in range(min(len(tokens), 5), 0, -1):
            if _legal_form_at(tokens, len(tokens) - size) == size:
                tokens = tokens[:-size]
                stripped_end = True
                break
        else:
            break
    if at_start and not stripped_end:
        tokens = tokens[_legal_form_at(tokens, 0) :]
    return tokens


def _without_chinese_form(token: str) -> str:
    for suffix in _CHINESE_SUFFIXES:
        if token.endswith(suffix):
            return token[: -len(suffix)]
    return token


def normalise(name: str) -> str:
    """The name as the check compares it: "ТОО «Silk Road»" and "SILK ROAD LLP" -> "silkroad"."""
    return "".join(words(name))[:KEY_LENGTH]


def keys(name: str) -> tuple[str, str]:
    """(normalised_name, name_words): what the tables keep beside a name."""
    found = words(name)
    return "".join(found)[:KEY_LENGTH], " ".join(sorted(found))[:KEY_LENGTH]


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance of a and b, or limit + 1 once it is sure to exceed limit. Only the
    cells within `limit` of the diagonal are computed (Ukkonen's band): a few per letter."""
    over = limit + 1
    if abs(len(a) - len(b)) > limit:
        return over
    previous = [j if j <= limit else over for j in range(len(b) + 1)]
    for i in range(1, len(a) + 1):
        low, high = max(1, i - limit), min(len(b), i + limit)
        current = [over] * (len(b) + 1)
        current[0] = i if i <= limit else over
        letter = a[i - 1]
        for j in range(low, high + 1):
            current[j] = min(
                previous[j - 1] + (letter != b[j - 1]), current[j - 1] + 1, previous[j] + 1, over
            )
        if min(current[low - 1 : high + 1]) >= over:
            return over
        previous = current
    return previous[len(b)]


def allowed_edits(normalised: str) -> int:
    """How many typed letters apart two names are still "similar": none for very short names
    (every 3-letter name is one letter from hundreds of others)."""
    if len(normalised) < 4:
        return 0
    return 1 if len(normalised) <= 8 else 2


# --- the check -----------------------------------------------------------------------------

SAME = "same"
REORDERED = "reordered"
SPELLING = "spelling"


@dataclass(frozen=True)
class NameMatch:
    """A registered company (with its number) or an application under review with a name
    that clashes with the one checked."""

    name: str
    how: str  # SAME, REORDERED or SPELLING
    number: str | None = None  # the registration number of a registered company
    application_id: int | None = None  # the application under review, else the registered one's

    @property
    def is_registered(self) -> bool:
        return self.number is not None

    @property
    def is_same(self) -> bool:
        return self.how == SAME

    @property
    def how_label(self) -> str:
        return {
            SAME: _("the same name"),
            REORDERED: _("the same words in another order"),
            SPELLING: _("a few letters apart"),
        }[self.how]

    @property
    def label(self) -> str:
        if self.number:
            return _("%(name)s (registered as %(number)s)", name=self.name, number=self.number)
        return _("%(name)s (an application under review)", name=self.name)


@dataclass(frozen=True)
class NameCheck:
    name: str
    normalised: str
    clash: NameMatch | None = None
    similar: tuple[NameMatch, ...] = ()

    @property
    def state(self) -> str:
        if not self.normalised:
            return "empty"
        if self.clash:
            return "taken"
        return "similar" if self.similar else "free"

    @property
    def message(self) -> str:
        if self.clash is not None:
            if self.clash.number:
                return _(
                    "This name is taken: %(name)s is already registered as %(number)s. "
                    "Choose another name.",
                    name=self.clash.name,
                    number=self.clash.number,
                )
            return _(
                "This name is taken: an application under review proposes %(name)s. "
                "Choose another name.",
                name=self.clash.name,
            )
        if self.similar:
            return _(
                "This name is similar to: %(names)s. You may keep it if your company is "
                "not one of these.",
                names="; ".join(m.label for m in self.similar),
            )
        if self.normalised:
            return _("This name is free.")
        return ""

    @property
    def confirmation(self) -> str:
        """The label of the box the investor ticks to keep a similar name."""
        return _(
            "I have checked: my company is not %(names)s.",
            names="; ".join(m.name for m in self.similar),
        )


MAX_SIMILAR = 10  # near clashes listed at most
NEIGHBOURS = 25  # index neighbours read on each side of each key


def check(
    name: str,
    exclude_application_id: int | None = None,
    exclude_number: str | None = None,
) -> NameCheck:
    """Whether `name` is free: the exact clash (a registered company first), or near clashes.

    `exclude_application_id`: the investor's own application (and its registration), which
    never clashes with itself; `exclude_number`: the registered company a change is for, which
    keeps its name or changes it without clashing with itself. Only registered names and names
    under review are ever named: another investor's draft never shows.
    """
    normalised, sorted_words = keys(name)
    if not normalised:
        return NameCheck(name, "")
    registered = _registered_clash(normalised, exclude_application_id)
    if registered is not None and registered.number == exclude_number:
        registered = None
    clash = registered or _pending_clash(normalised, exclude_application_id)
    if clash is not None:
        return NameCheck(name, normalised, clash=clash)
    similar = _similar_registered(normalised, sorted_words, exclude_application_id)
    similar += _similar_pending(normalised, sorted_words, exclude_application_id)
    similar = [m for m in similar if exclude_number is None or m.number != exclude_number]
    return NameCheck(name, normalised, similar=tuple(similar[:MAX_SIMILAR]))


def check_for(application: Application, name: str | None = None) -> NameCheck:
    """The check of `name` (by default the application's) for this application: never a
    clash with itself, nor, for a change, with the company it changes."""
    company = application.changes if application.kind == lifecycle.CHANGE else None
    return check(
        application.company_name if name is None else name,
        exclude_application_id=application.id,
        exclude_number=company.number if company is not None else None,
    )


def for_review(application: Application) -> list[NameMatch]:
    """What a reviewer should compare the application's name with: the exact clash first, then
    the similar names (registered companies and other applications under review)."""
    result = check_for(application)
    return ([result.clash] if result.clash else []) + list(result.similar)


def _not_own(column, exclude_application_id: int | None):
    return column != exclude_application_id if exclude_application_id else db.true()


def _registered_clash(normalised: str, exclude: int | None) -> NameMatch | None:
    row = db.session.execute(
        db.select(Registration.company_name, Registration.number, Registration.application_id)
        .where(
            Registration.normalised_name == normalised,
            _not_own(Registration.application_id, exclude),
        )
        .order_by(Registration.id)
        .limit(1)
    ).first()
    return NameMatch(row[0], SAME, number=row[1], application_id=row[2]) if row else None


def _pending_clash(normalised: str, exclude: int | None) -> NameMatch | None:
    row = db.session.execute(
        db.select(Application.company_name, Application.id)
        .where(
            Application.normalised_name == normalised,
            Application.status.in_(sorted(lifecycle.OPEN)),
            _not_own(Application.id, exclude),
        )
        .order_by(Application.id)
        .limit(1)
    ).first()
    return NameMatch(row[0], SAME, application_id=row[1]) if row else None


def _judge(normalised: str, sorted_words: str, rows, registered: bool) -> list[NameMatch]:
    """The candidates (company_name, number or None, application id, normalised, words) that
    are similar, each once, same words first. Cheap tests first: a name `edits` away has a
    length within `edits` and holds one of the pieces unchanged."""
    edits = allowed_edits(normalised)
    cuts = pieces(normalised, edits) if edits else []
    found: dict[int, NameMatch] = {}
    for name, number, application_id, other, other_words in rows:
        if not other or other == normalised or application_id in found:
            continue
        if other_words == sorted_words:
            how = REORDERED
        elif (
            edits
            and abs(len(other) - len(normalised)) <= edits
            and any(cut in other for cut in cuts)
            and edit_distance(normalised, other, edits) <= edits
        ):
            how = SPELLING
        else:
            continue
        found[application_id] = NameMatch(
            name, how, number=number if registered else None, application_id=application_id
        )
    return sorted(found.values(), key=lambda m: (m.how != REORDERED, m.name))


def _on_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


_REGISTRATION_COLUMNS = (
    Registration.company_name,
    Registration.number,
    Registration.application_id,
    Registration.normalised_name,
    Registration.name_words,
)


@functools.cache
def _candidates():
    """The registrations that may be similar, in one statement of index ranges, each bounded:
    the same words in any order, and the names beside the name in three orders (NEIGHBOURS each
    side): of the normalised name (a slip after the first letters), of its sorted words (the
    same, word by word) and of the name read backwards (a slip in the first letters: the rest
    of the name is then its start). Built once (parameters n, w, r and own)."""
    own = Registration.application_id != db.bindparam("own")
    parts = [
        db.select(*_REGISTRATION_COLUMNS)
        .where(Registration.name_words == db.bindparam("w"), own)
        .limit(NEIGHBOURS)
    ]
    for column, key in (
        (Registration.normalised_name, "n"),
        (Registration.name_words, "w"),
        (Registration.reversed_name, "r"),
    ):
        parts += [
            db.select(*_REGISTRATION_COLUMNS)
            .where(column > db.bindparam(key), own)
            .order_by(column)
            .limit(NEIGHBOURS),
            db.select(*_REGISTRATION_COLUMNS)
            .where(column < db.bindparam(key), own)
            .order_by(column.desc())
            .limit(NEIGHBOURS),
        ]
    return db.union_all(*(db.select(*part.subquery().c) for part in parts))


def _similar_registered(normalised: str, sorted_words: str, exclude: int | None):
    values = {"n": normalised, "w": sorted_words, "r": normalised[::-1], "own": exclude or 0}
    rows = db.session.execute(_candidates(), values).all()
    return _judge(normalised, sorted_words, rows, registered=True)


def pieces(normalised: str, edits: int) -> list[str]:
    """The name cut in edits + 1 pieces: a name at most `edits` edits away holds one of them
    unchanged (each edit spoils at most one piece)."""
    size, extra = divmod(len(normalised), edits + 1)
    cuts, start = [], 0
    for i in range(edits + 1):
        end = start + size + (1 if i < extra else 0)
        cuts.append(normalised[start:end])
        start = end
    return cuts


def _similar_pending(normalised: str, sorted_words: str, exclude: int | None):
    """Applications under review are few (the reviewers' open queue), reached through the
    status index; the database keeps only those that can be similar (the same words, or a
    length and a piece of the name in common: cheaper than trigrams row by row), and Python
    judges them."""
    edits = allowed_edits(normalised)
    values = {"w": sorted_words, "own": exclude or 0, "low": len(normalised) - edits}
    values["high"] = len(normalised) + edits
    values.update({f"piece{i}": cut for i, cut in enumerate(pieces(normalised, edits))})
    statement = _pending_candidates(_on_postgresql(), edits)
    return _judge(normalised, sorted_words, db.session.execute(statement, values).all(), False)


@functools.cache
def _pending_candidates(postgresql: bool, edits: int):
    """The statement of _similar_pending, built once per database and allowed edits."""
    is_open = Application.status.in_(sorted(lifecycle.OPEN))
    if not postgresql:
        # SQLite's statistics see a handful of statuses, each on a large share of the rows,
        # and would read the whole table: say that the open ones are few.
        is_open = db.func.likelihood(is_open, db.literal_column("0.001"))
    could_be = Application.name_words == db.bindparam("w")
    if edits:
        # Normalised names hold letters and digits only: nothing to escape in LIKE.
        could_be = db.or_(
            could_be,
            db.and_(
                db.func.length(Application.normalised_name).between(
                    db.bindparam("low"), db.bindparam("high")
                ),
                db.or_(
                    *(
                        Application.normalised_name.contains(db.bindparam(f"piece{i}"))
                        for i in range(edits + 1)
                    )
                ),
            ),
        )
    return db.select(
        Application.company_name,
        db.null(),
        Application.id,
        Application.normalised_name,
        Application.name_words,
    ).where(
        is_open,
        Application.normalised_name != "",
        Application.id != db.bindparam("own"),
        could_be,
    )


# --- keeping the keys ------------------------------------------------------------------------


@event.listens_for(Application.company_name, "set")
@event.listens_for(Registration.company_name, "set")
def _keep_keys(target, value, _old, _initiator) -> None:
    """Every change of a name (a draft saved, a registration, a change of name) brings its keys
    along, whichever code makes it."""
    target.normalised_name, target.name_words = keys(value or "")
    if isinstance(target, Registration):
        target.reversed_name = target.normalised_name[::-1]
