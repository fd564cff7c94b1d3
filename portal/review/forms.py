"""The queue's filters (a GET form: they live in the URL) and the decision forms.

What a decision needs (a message, a reason, an explanation) is the service's rule; these forms
only parse and limit lengths, and the view puts the service's refusal next to the field.
"""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SearchField, SelectField, TextAreaField
from wtforms.validators import Length, Optional

from portal import lifecycle, page_cache
from portal.extensions import db
from portal.forms import CHOOSE, DateField, GetForm, optional_int
from portal.i18n import data_text, sector_choices
from portal.models import STAFF_ROLES, Sector, User, Zone
from portal.services import review

MESSAGE_MAX = 4000


def _choices() -> tuple[list, list]:
    """Every zone and sector, inactive ones too: older applications still name them (kept
    while they do not change)."""
    zones = [(z.id, z.code) for z in db.session.scalars(db.select(Zone).order_by(Zone.code))]
    return zones, sector_choices(db.session.scalars(db.select(Sector)))


class QueueForm(GetForm):
    """Reading, bookmarkable, changes nothing."""

    status = SelectField(_l("Status"), default=review.DEFAULT_STATUS)
    kind = SelectField(_l("Kind"), validators=[Optional()])
    zone = SelectField(_l("Zone"), coerce=optional_int, validators=[Optional()])
    sector = SelectField(_l("Sector"), coerce=optional_int, validators=[Optional()])
    submitted_from = DateField(_l("Submitted from"), validators=[Optional()])
    submitted_to = DateField(_l("Submitted until"), validators=[Optional()])
    q = SearchField(
        _l("Search"),
        description=_l("Company name, registration number or the investor's e-mail"),
        validators=[Optional(), Length(max=200)],
    )
    assignee = SelectField(_l("Reviewer"), validators=[Optional()])
    sort = SelectField(_l("Sort by"), default=review.DEFAULT_SORT)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        any_ = ("", _l("Any"))
        # "me" rather than an id, so one bookmark serves every reviewer.
        self.assignee.choices = [any_, ("me", _l("Me")), ("none", _l("Nobody yet"))] + [
            (str(u.id), u.full_name or u.email)
            for u in db.session.scalars(
                db.select(User)
                .where(User.role.in_(STAFF_ROLES), User.id != user.id)
                .order_by(User.full_name, User.email)
            )
        ]
        self.status.choices = list(review.STATUS_FILTERS.items())
        self.kind.choices = [any_, *lifecycle.KIND_LABELS.items()]
        self.sort.choices = list(review.SORTS.items())
        # Inactive zones and sectors too: older applications still name them.
        zones, sectors = page_cache.shared(f"queue-choices:{get_locale()}", _choices)
        self.zone.choices = [any_, *zones]
        self.sector.choices = [any_, *sectors]

    def filters(self) -> review.QueueFilters:
        """What was asked for; a field that did not parse is ignored (and shows its error)."""
        self.validate()
        return review.QueueFilters(
            status=self.value("status", review.DEFAULT_STATUS),
            kind=self.value("kind", ""),
            zone_id=self.value("zone"),
            sector_id=self.value("sector"),
            submitted_from=self.value("submitted_from"),
            submitted_to=self.value("submitted_to"),
            q=self.value("q", ""),
            assignee_id=self._assignee_id(),
            unassigned=self.value("assignee") == "none",
        )

    def _assignee_id(self) -> int | None:
        value = self.value("assignee")
        if value == "me":
            return self.user.id
        return int(value) if value and value.isdigit() else None

    def sort_key(self) -> str:
        return self.value("sort", review.DEFAULT_SORT)


class RequestInfoForm(FlaskForm):
    message = TextAreaField(
        _l("Message to the investor"),
        description=_l("Say what is missing or must change. The investor receives it by e-mail."),
        validators=[Length(max=MESSAGE_MAX)],
    )


class ApproveForm(FlaskForm):
    comment = TextAreaField(
        _l("Note for the investor (optional)"), validators=[Length(max=MESSAGE_MAX)]
    )


class RejectForm(FlaskForm):
    reason = SelectField(_l("Reason"), coerce=optional_int, validate_choice=False)
    explanation = TextAreaField(
        _l("Explanation for the investor"),
        description=_l("The investor reads this with the reason."),
        validators=[Length(max=MESSAGE_MAX)],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason.choices = [CHOOSE] + [
            (r.id, data_text(r.label)) for r in review.active_rejection_reasons()
        ]
