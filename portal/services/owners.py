"""Beneficial owners: the natural persons who own or control the company, and their rules.

A person is a beneficial owner (a "person with significant control", as Companies House calls
it) who holds 25% or more of the shares or of the votes, directly or through a founding
company, or controls the company by other means. They must be declared when a founder is a
legal entity (a company's own founders do not say who stands behind it); otherwise the
natural-person founders are the owners, and any listed must agree with their shares.

Plain rules on plain values (rows as dicts, founders as objects with kind, name and share):
`services.applications` stores the owners and asks these on every save and on submission.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

THRESHOLD = Decimal(25)
# A beneficial owner answers for the control they declare; a minor's holding is declared
# through the parents or guardians who exercise it, so an owner is at least 18.
ADULT_AGE = 18

CONTROLS = {
    "shares": _l("Owns shares: at least 25%"),
    "votes": _l("Holds voting rights: at least 25%"),
    "directors": _l("Can appoint or remove the majority of the directors"),
    "influence": _l("Has significant influence or control by other means"),
}
# What each of an owner's fields is called where a problem with it is listed.
FIELD_LABELS = {
    "name": _l("Full name"),
    "birth_date": _l("Date of birth"),
    "nationality": _l("Nationality"),
    "residence": _l("Country of residence"),
    "controls": _l("Nature of control"),
    "shares_percent": _l("Shares, %"),
    "votes_percent": _l("Votes, %"),
    "held_through": _l("Held"),
}
ROW_FIELDS = tuple(FIELD_LABELS)


@dataclass(frozen=True)
class OwnerProblem:
    field: str  # a form field's id: "owners-0-birth_date", or "owners", "owners_none_reason"
    message: str
    label: str = ""  # "Owner 1 — Date of birth", for a list of problems away from the form
    refused: bool = False  # a value that may not be stored at all (a date in the future...)


def is_required(founders) -> bool:
    """Owners must be declared when a founder is a legal entity."""
    return any(f.kind == "legal" for f in founders)


def same_person(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def age_on(birth_date: date, today: date) -> int:
    return (
        today.year
        - birth_date.year
        - ((today.month, today.day) < (birth_date.month, birth_date.day))
    )


def _percent(value: Decimal | None) -> str:
    return format_decimal(value.normalize()) if value is not None else ""


def row_problems(row: dict, index: int, founders, today: date) -> list[OwnerProblem]:
    """What is wrong with one owner (`row`: the fields of ROW_FIELDS)."""
    problems: list[OwnerProblem] = []

    def problem(field: str, message: str, refused: bool = False) -> None:
        label = _("Owner %(n)d — %(field)s", n=index + 1, field=FIELD_LABELS[field])
        problems.append(OwnerProblem(f"owners-{index}-{field}", message, label, refused))

    born = row.get("birth_date")
    if born is not None:
        if born >= today:
            problem("birth_date", _("Enter a date of birth in the past."), refused=True)
        elif age_on(born, today) < ADULT_AGE:
            problem(
                "birth_date",
                _("A beneficial owner must be at least %(age)d years old.", age=ADULT_AGE),
                refused=True,
            )
    percents = {}
    for field in ("shares_percent", "votes_percent"):
        value = row.get(field)
        if value is not None and not Decimal(0) <= value <= Decimal(100):
            problem(field, _("Enter a percent from 0 to 100."), refused=True)
            value = None
        percents[field] = value
    if any(p.refused for p in problems):
        return problems

    controls = set(row.get("controls") or ())
    if not controls:
        problem(
            "controls",
            _(
                "Choose at least one nature of control: a beneficial owner holds shares or votes "
                "of at least 25%, or controls the company by other means."
            ),
        )
    for field, control in (("shares_percent", "shares"), ("votes_percent", "votes")):
        value = percents[field]
        if control in controls and (value is None or value < THRESHOLD):
            problem(
                field,
                _(
                    "Enter 25 or more: the nature of control says “%(control)s”.",
                    control=CONTROLS[control],
                ),
            )
        elif control not in controls and value is not None and value >= THRESHOLD:
            problem(
                "controls",
                _(
                    "With %(percent)s%%, tick “%(control)s”.",
                    percent=_percent(value),
                    control=CONTROLS[control],
                ),
            )

    through = (row.get("held_through") or "").strip()
    if through:
        founder = next(
            (f for f in founders if f.kind == "legal" and same_person(f.name, through)), None
        )
        if founder is None:
            problem(
                "held_through",
                _("%(name)s is no longer a founding legal entity: choose again.", name=through),
            )
        else:
            shares = percents["shares_percent"]
            if shares is not None and shares > founder.share:
                problem(
                    "shares_percent",
                    _(
                        "Through %(founder)s at most %(share)s%%: that founder's share.",
                        founder=founder.name,
                        share=_percent(Decimal(founder.share)),
                    ),
                )
    return problems


def problems(
    rows: list[dict], declared: bool, reason: str, founders, today: date
) -> list[OwnerProblem]:
    """Everything the owners step still lacks or contradicts, for the owners in `rows`."""
    found: list[OwnerProblem] = []
    for index, row in enumerate(rows):
        found += row_problems(row, index, founders, today)
    if declared and rows:
        found.append(
            OwnerProblem(
                "owners_none_declared",
                _("Either list the beneficial owners or declare that there are none, not both."),
            )
        )
    if declared and not (reason or "").strip():
        found.append(
            OwnerProblem(
                "owners_none_reason",
                _(
                    "Say why no natural person holds at least 25%, or controls the company by "
                    "other means."
                ),
            )
        )
    if is_required(founders) and not rows and not declared:
        found.append(
            OwnerProblem(
                "owners",
                _(
                    "A founder is a legal entity: list the natural persons who own or control the "
                    "company, or declare that there are none."
                ),
            )
        )
    if rows or declared or is_required(founders):
        # A natural-person founder with 25% or more is a beneficial owner by their own shares.
        for founder in founders:
            if founder.kind != "natural" or Decimal(founder.share) < THRESHOLD:
                continue
            if not any(same_person(row.get("name") or "", founder.name) for row in rows):
                found.append(
                    OwnerProblem(
                        "owners",
                        _(
                            "%(founder)s holds %(share)s%% of the shares as a founder: list them "
                            "as a beneficial owner.",
                            founder=founder.name,
                            share=_percent(Decimal(founder.share)),
                        ),
                    )
                )
    total = sum((row.get("shares_percent") or Decimal(0) for row in rows), Decimal(0))
    if total > Decimal(100) and not any(p.refused for p in found):
        found.append(
            OwnerProblem(
                "owners",
                _(
                    "The owners' shares add up to %(total)s%%: more than 100%%.",
                    total=_percent(total),
                ),
            )
        )
    return found


def controls_of(codes) -> list[str]:
    """The natures of control, named in the page's language, in the form's order."""
    return [str(label) for code, label in CONTROLS.items() if code in set(codes or ())]
