"""The signed statement in a certificate's QR code, and what a check of it concludes.

The statement is a compact JWS (RFC 7515) signed with the portal's Ed25519 statement key
("alg": "Ed25519", RFC 9864; `kid` names the key) over a short JSON object: registration
number, company name, zone, sector, registration date, certificate version and issue date.
About three hundred characters: the QR code stays easy to scan on an A4 print.

Offline (`check_offline`), a statement is checked with the published keys alone: it says what
the portal signed, not whether the company is still registered. Online (`check_online`) it is
also compared with the register.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from urllib.parse import parse_qs, urlsplit

from flask_babel import lazy_gettext as _l
from joserfc import jws
from joserfc.errors import JoseError

from portal import lifecycle
from portal.models import Registration
from portal.services import company_changes
from portal.services.signing import STATEMENT_ALGORITHM, PublishedKeys, SigningKeys

# The first certificate version; each approved change of the company's record issues the next
# (services/company_changes.py), and a statement of an older version is then "superseded".
VERSION = 1
QUERY_PARAMETER = "s"  # /verify/<number>?s=<statement>
MAX_STATEMENT = 4000  # characters; a real one has about 300


class Verdict(StrEnum):
    VALID = "valid"  # signed by the portal (online: and the register says the same, today)
    FORGED = "forged"  # the signature fails, or the data differ from the register
    UNREADABLE = "unreadable"  # no statement in the text (offline only; online that is forged)
    # Online only, for a genuine statement: what the register says of the company today.
    SUSPENDED = "suspended"  # the company is suspended (since `Check.since`)
    STRUCK_OFF = "struck_off"  # struck off the register: not valid since `Check.since`
    # A later certificate version replaced it (since `Check.since`, by `Check.current`).
    SUPERSEDED = "superseded"


@dataclass(frozen=True)
class Statement:
    number: str
    company_name: str
    zone: str  # code
    sector: str  # code
    registered_on: date
    version: int
    issued_on: date
    kid: str = ""  # the key that signed it, once read

    @classmethod
    def of(cls, registration: Registration, issued_on: date, version: int = VERSION) -> Statement:
        return cls(
            number=registration.number,
            company_name=registration.company_name,
            zone=registration.zone.code,
            sector=registration.sector.code,
            registered_on=registration.registered_on,
            version=version,
            issued_on=issued_on,
        )

    def claims(self) -> dict:
        """One-letter names keep the QR code small."""
        return {
            "n": self.number,
            "c": self.company_name,
            "z": self.zone,
            "s": self.sector,
            "r": self.registered_on.isoformat(),
            "v": self.version,
            "i": self.issued_on.isoformat(),
        }

    @classmethod
    def from_claims(cls, claims: dict, kid: str) -> Statement:
        """ValueError if a field is missing or of the wrong type."""
        try:
            values = {name: claims[name] for name in ("n", "c", "z", "s", "r", "v", "i")}
        except (KeyError, TypeError):
            raise ValueError("a field is missing") from None
        if not all(isinstance(values[name], str) for name in "nczsri"):
            raise ValueError("a field is not text")
        if not isinstance(values["v"], int) or isinstance(values["v"], bool):
            raise ValueError("the version is not a number")
        return cls(
            number=values["n"],
            company_name=values["c"],
            zone=values["z"],
            sector=values["s"],
            registered_on=date.fromisoformat(values["r"]),
            version=values["v"],
            issued_on=date.fromisoformat(values["i"]),
            kid=kid,
        )


def sign(statement: Statement, keys: SigningKeys) -> str:
    payload = json.dumps(statement.claims(), ensure_ascii=False, separators=(",", ":"))
    header = {"alg": STATEMENT_ALGORITHM, "kid": keys.statement_kid}
    return jws.serialize_compact(
        header, payload.encode(), keys.statement_key, algorithms=[STATEMENT_ALGORITHM]
    )


def token_from(text: str) -> str:
    """The statement in what a QR reader gives: the verify address with `?s=`, or the bare
    statement."""
    text = "".join(text.split())  # line breaks and spaces a scan or a paste may add
    if "?" in text or "/" in text:
        values = parse_qs(urlsplit(text).query).get(QUERY_PARAMETER)
        return values[0] if values else ""
    return text


@dataclass(frozen=True)
class Difference:
    label: str
    on_certificate: str
    in_register: str


@dataclass(frozen=True)
class Check:
    verdict: Verdict
    statement: Statement | None = None
    reason: str = ""  # why it is not valid, for the reader
    differences: tuple[Difference, ...] = ()
    since: date | None = None  # suspended or struck off: since this day (the zone's calendar)
    current: int | None = None  # superseded: the register's certificate version now

    @property
    def is_valid(self) -> bool:
        return self.verdict == Verdict.VALID

    @property
    def is_forged(self) -> bool:
        return self.verdict == Verdict.FORGED

    @property
    def is_unreadable(self) -> bool:
        return self.verdict == Verdict.UNREADABLE

    @property
    def is_suspended(self) -> bool:
        return self.verdict == Verdict.SUSPENDED

    @property
    def is_struck_off(self) -> bool:
        return self.verdict == Verdict.STRUCK_OFF

    @property
    def is_superseded(self) -> bool:
        return self.verdict == Verdict.SUPERSEDED


def check_offline(text: str, published: PublishedKeys) -> Check:
    """Was this statement signed by a key the portal published? Nothing but the keys is used."""
    token = token_from(text)
    if not token or len(token) > MAX_STATEMENT or token.count(".") != 2:
        return Check(Verdict.UNREADABLE, reason=_l("This is not a signed statement."))
    try:
        kid = jws.extract_compact(token.encode()).headers().get("kid")
    except (JoseError, ValueError, TypeError):
        return Check(Verdict.UNREADABLE, reason=_l("This is not a signed statement."))
    published_key = published.statement_key(kid) if isinstance(kid, str) else None
    if published_key is None:
        return Check(
            Verdict.FORGED, reason=_l("It is signed with a key the portal has never published.")
        )
    try:
        content = jws.deserialize_compact(
            token, published_key.key, algorithms=[STATEMENT_ALGORITHM]
        )
    except (JoseError, ValueError):
        return Check(
            Verdict.FORGED,
            reason=_l(
                "Its signature does not match: the statement was changed or not signed "
                "by the portal."
            ),
        )
    try:
        statement = Statement.from_claims(json.loads(content.payload), kid)
    except (ValueError, TypeError):
        return Check(Verdict.FORGED, reason=_l("The signed statement is not one the portal makes."))
    return Check(Verdict.VALID, statement)


def differences(statement: Statement, registration: Registration) -> tuple[Difference, ...]:
    """Where the statement and the register disagree: for an earlier certificate version, the
    register as that version had it (the name is what a change may have changed since)."""
    name = registration.company_name
    version = statement.version
    if 0 < version < current_version(registration):
        name = _name_under(registration, version)
    elif version != current_version(registration):
        version = current_version(registration)  # none such: shown as the difference below
    pairs = [
        (_l("Registration number"), statement.number, registration.number),
        (_l("Company"), statement.company_name, name),
        (_l("Zone"), statement.zone, registration.zone.code),
        (_l("Sector"), statement.sector, registration.sector.code),
        (
            _l("Date of registration"),
            statement.registered_on.isoformat(),
            registration.registered_on.isoformat(),
        ),
        (_l("Certificate version"), str(statement.version), str(version)),
    ]
    return tuple(Difference(label, ours, theirs) for label, ours, theirs in pairs if ours != theirs)


def current_version(registration: Registration) -> int:
    """The register's certificate version for this company: 1 until a change is approved."""
    return registration.version or VERSION


def _name_under(registration: Registration, version: int) -> str:
    """The company's name under an earlier certificate version."""
    record = company_changes.record_under(registration, version)
    return record.company_name if record is not None else ""


def check_online(text: str, registration: Registration, published: PublishedKeys) -> Check:
    """The statement checked with the published keys, then against the register."""
    check = check_offline(text, published)
    if check.is_unreadable:
        return replace(check, verdict=Verdict.FORGED)
    if not check.is_valid:
        return check
    found = differences(check.statement, registration)
    if found:
        return Check(
            Verdict.FORGED,
            check.statement,
            reason=_l("The signed statement differs from the register."),
            differences=found,
        )
    return _standing(check, registration)


def _standing(check: Check, registration: Registration) -> Check:
    """What the register says of a genuine statement today: struck off (since a date: final,
    and it outranks everything else), suspended (since a date), or valid and current.

    A statement of an earlier version than the register's is superseded (since the day the
    next version was approved), unless the company is struck off, which outranks it."""
    if lifecycle.is_company_struck_off(registration):
        return replace(
            check,
            verdict=Verdict.STRUCK_OFF,
            reason=_l("The company is struck off the register."),
            since=registration.status_since,
        )
    if check.statement.version < current_version(registration):
        following = company_changes.version(registration, check.statement.version + 1)
        return replace(
            check,
            verdict=Verdict.SUPERSEDED,
            reason=_l("A later version of the certificate replaced it."),
            since=following.effective_on if following is not None else None,
            current=current_version(registration),
        )
    if lifecycle.is_company_suspended(registration):
        return replace(
            check,
            verdict=Verdict.SUSPENDED,
            reason=_l("The company is suspended on the register."),
            since=registration.status_since,
        )
    return check
