"""The application lifecycle: its states, the only moves between them, and who may make each.

Every status change in the portal goes through `check_move`; nothing else decides. Pages and
models ask the predicates and `actions_for` below rather than comparing statuses, so a new state
or move is one edit here.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

DRAFT = "draft"
SUBMITTED = "submitted"
IN_REVIEW = "in_review"
INFO_REQUESTED = "info_requested"
APPROVED = "approved"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"

STATES = (DRAFT, SUBMITTED, IN_REVIEW, INFO_REQUESTED, APPROVED, REJECTED, WITHDRAWN)

STATE_LABELS = {
    DRAFT: _l("Draft"),
    SUBMITTED: _l("Submitted"),
    IN_REVIEW: _l("In review"),
    INFO_REQUESTED: _l("Information requested"),
    APPROVED: _l("Approved"),
    REJECTED: _l("Rejected"),
    WITHDRAWN: _l("Withdrawn"),
}

# What an application asks for: a new company's registration, or a change to a registered
# company's record (its name, address, director, activity, founders or owners). Both go through
# the same moves; approving a change issues a new version of the record instead of a number.
REGISTRATION = "registration"
CHANGE = "change"
KINDS = (REGISTRATION, CHANGE)
KIND_LABELS = {REGISTRATION: _l("Registration"), CHANGE: _l("Change")}

# Who makes a move: the investor who owns the application, or staff (reviewers and admins).
OWNER = "owner"
STAFF = "staff"


@dataclass(frozen=True)
class Move:
    action: str
    source: str
    target: str
    by: str


MOVES = (
    Move("submit", DRAFT, SUBMITTED, OWNER),
    Move("take", SUBMITTED, IN_REVIEW, STAFF),
    Move("approve", IN_REVIEW, APPROVED, STAFF),
    Move("request_info", IN_REVIEW, INFO_REQUESTED, STAFF),
    Move("resubmit", INFO_REQUESTED, SUBMITTED, OWNER),
    Move("reject", IN_REVIEW, REJECTED, STAFF),
    Move("withdraw", DRAFT, WITHDRAWN, OWNER),
    Move("withdraw", SUBMITTED, WITHDRAWN, OWNER),
    Move("withdraw", INFO_REQUESTED, WITHDRAWN, OWNER),
)

# States in which the investor may change what the application says.
EDITABLE = frozenset({DRAFT, INFO_REQUESTED})
# States in which the reviewers have the next step (the review page counts the days it waits).
WITH_REVIEWERS = frozenset({SUBMITTED, IN_REVIEW})
# States that wait for a decision (counted as "open" in queues and the funnel).
OPEN = WITH_REVIEWERS | {INFO_REQUESTED}
DECIDED = frozenset({APPROVED, REJECTED})
# States in which one reviewer has the application: only they move it on, a colleague takes it over.
HELD = frozenset({IN_REVIEW})

# Not a move: a reviewer takes an application from the colleague who has it (the status stays).
TAKE_OVER = "take_over"


class IllegalMove(Exception):
    """A status change the lifecycle does not allow, or not to this person."""


def find_move(source: str, action: str) -> Move | None:
    return next((m for m in MOVES if m.source == source and m.action == action), None)


def allowed_actions(source: str, by: str) -> list[str]:
    return [m.action for m in MOVES if m.source == source and m.by == by]


def target_of(action: str) -> str:
    """The state `action` leads to: each action has one, whichever state it starts from."""
    (target,) = {m.target for m in MOVES if m.action == action}
    return target


def actions_for(application, user) -> frozenset[str]:
    """What the pages offer `user` on the application now: the moves they may make, except that
    a colleague of the reviewer who has it is offered `TAKE_OVER` instead of that reviewer's moves.
    """
    actions = set()
    if application.owner_id == user.id:
        actions.update(allowed_actions(application.status, OWNER))
    if user.is_staff:
        if application.status in HELD and application.assignee_id != user.id:
            actions.add(TAKE_OVER)
        else:
            actions.update(allowed_actions(application.status, STAFF))
    return frozenset(actions)


def check_move(application, action: str, user) -> Move:
    """The move `action` from the application's current state, if `user` may make it."""
    move = find_move(application.status, action)
    if move is None:
        raise IllegalMove(f"cannot {action} an application that is {application.status}")
    if move.by == OWNER and application.owner_id != user.id:
        raise IllegalMove(f"only the applicant may {action}")
    if move.by == STAFF and not user.is_staff:
        raise IllegalMove(f"only reviewers may {action}")
    return move


# What templates and models ask (as `application.is_editable` and so on), never the status itself.


def is_editable(application) -> bool:
    return application.status in EDITABLE


def is_with_reviewers(application) -> bool:
    return application.status in WITH_REVIEWERS


def awaits_taking(application) -> bool:
    """In the queue: submitted (or resubmitted), and no reviewer has taken it since."""
    return application.status == SUBMITTED


def is_held(application) -> bool:
    """A reviewer has it (`application.assignee`) and decides it."""
    return application.status in HELD


def awaits_answer(application) -> bool:
    """A reviewer asked the investor for more information; the investor edits and resubmits."""
    return application.status == INFO_REQUESTED


def is_decided(application) -> bool:
    return application.status in DECIDED


def is_approved(application) -> bool:
    """Approved, and so registered: it has a number and a certificate."""
    return application.status == APPROVED


def is_change(application) -> bool:
    return application.kind == CHANGE


def is_resubmitted(application) -> bool:
    """Back in the queue after the investor answered a request for information: only a
    reviewer's take sets the assignee, and a first submission has none yet."""
    return awaits_taking(application) and application.assignee_id is not None


# --- A registered company's status on the register ----------------------------------------------
#
# After registration the company itself has a life of its own: active, suspended for a while,
# or struck off (liquidated), which is final. Admins move it, and the reviewers an admin has given
# the right to (`User.changes_company_status`): a suspension stops a company from trading on the
# register's word, so it is a decision of the register's administration, not part of every
# reviewer's work (every reviewer sees the status). Every move needs a reason and an effective
# date (services/company_status.py).

ACTIVE = "active"
SUSPENDED = "suspended"
STRUCK_OFF = "struck_off"

COMPANY_STATES = (ACTIVE, SUSPENDED, STRUCK_OFF)

COMPANY_STATE_LABELS = {
    ACTIVE: lazy_pgettext("company status", "Active"),  # in business, not "switched on"
    SUSPENDED: _l("Suspended"),
    STRUCK_OFF: _l("Struck off"),
}

# Who may move a company: admins and the reviewers given the right (see above).
REGISTRARS = "registrars"

COMPANY_MOVES = (
    Move("suspend", ACTIVE, SUSPENDED, REGISTRARS),
    Move("restore", SUSPENDED, ACTIVE, REGISTRARS),
    Move("strike_off", ACTIVE, STRUCK_OFF, REGISTRARS),
    Move("strike_off", SUSPENDED, STRUCK_OFF, REGISTRARS),
)

# What each move is called where a person chooses it (the admins' form names the new status).
COMPANY_MOVE_LABELS = {
    "suspend": _l("Suspend the company"),
    "restore": _l("Restore the company (active again)"),
    "strike_off": _l("Strike the company off (final)"),
}


def company_moves_for(registration, user) -> list[Move]:
    """The moves `user` may make on the company now (none once it is struck off)."""
    if not user.changes_company_status:
        return []
    return [m for m in COMPANY_MOVES if m.source == registration.status]


def check_company_move(registration, target: str, user) -> Move:
    """The move from the company's current status to `target`, if `user` may make it."""
    move = next(
        (m for m in COMPANY_MOVES if m.source == registration.status and m.target == target), None
    )
    if move is None:
        raise IllegalMove(f"a company that is {registration.status} cannot become {target}")
    if move.by == REGISTRARS and not user.changes_company_status:
        raise IllegalMove("only admins and reviewers given the right may change a company's status")
    return move


def is_company_active(registration) -> bool:
    return registration.status == ACTIVE


def is_company_suspended(registration) -> bool:
    return registration.status == SUSPENDED


def is_company_struck_off(registration) -> bool:
    """Struck off the register (liquidated): final, its certificates no longer valid."""
    return registration.status == STRUCK_OFF
