"""Administration forms. They parse and check format; the rules are the service's."""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SearchField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from portal import lifecycle
from portal.forms import ALWAYS_CHOSEN, DateField, GetForm, IntegerField, optional_int
from portal.i18n import LANGUAGES, data_text
from portal.models import REVIEWER
from portal.models.reference import OTHER_LANGUAGES
from portal.services import admin as admin_service
from portal.services.accounts import ROLE_LABELS

KIND_LABELS = {"year": _l("Reference year"), "target": _l("Target")}
ACTION_LABELS = {
    "user.invite": _l("User invited"),
    "user.role": _l("Role changed"),
    "user.activate": _l("User activated"),
    "user.deactivate": _l("User deactivated"),
    "zone.create": _l("Zone added"),
    "zone.update": _l("Zone changed"),
    "sector.create": _l("Sector added"),
    "sector.update": _l("Sector changed"),
    "eligibility.update": _l("Eligibility changed"),
    "baseline.create": _l("Baseline added"),
    "baseline.update": _l("Baseline changed"),
    "reason.create": _l("Rejection reason added"),
    "reason.update": _l("Rejection reason changed"),
    "contact.create": _l("Contact added"),
    "contact.update": _l("Contact changed"),
    "mail.retry": _l("Undelivered e-mail sent again"),
    "company.suspend": _l("Company suspended"),
    "company.restore": _l("Company restored"),
    "company.strike_off": _l("Company struck off"),
    # Security events: what happened to an account, from which client address.
    "login.success": _l("Signed in"),
    "login.failure": _l("Sign-in failed"),
    "login.throttled": _l("Sign-in attempts refused (too many)"),
    "logout": _l("Signed out"),
    "session.revoke": _l("Other sessions signed out"),
    "password.change": _l("Password changed"),
    "password.reset_request": _l("Password reset asked for"),
    "password.reset_throttled": _l("Password reset requests refused (too many)"),
    "password.reset": _l("Password reset"),
    "email.change": _l("E-mail address changed"),
    "mfa.enable": _l("Two-step sign-in turned on"),
    "mfa.disable": _l("Two-step sign-in turned off"),
    "mfa.failure": _l("Wrong sign-in code"),
    "mfa.recovery_used": _l("Recovery code used"),
    "mfa.recovery_regenerated": _l("New recovery codes made"),
}


class UserFilterForm(GetForm):
    q = SearchField(_l("E-mail contains"), validators=[Optional(), Length(max=254)])
    # Its own id: the invitation form on the same page has a role select too.
    role = SelectField(_l("Role"), id="filter-role", validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [("", _l("All roles")), *ROLE_LABELS.items()]


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), validators=[InputRequired()], render_kw=ALWAYS_CHOSEN)

    def __init__(self, user, *args, **kwargs):
        # One form per row of the users list: its own prefix gives each select its own id.
        super().__init__(*args, prefix=f"user-{user.id}", **kwargs)
        self.role.choices = list(ROLE_LABELS.items())
        self.role.label.text = _l("Role of %(email)s", email=user.email)


class InviteForm(FlaskForm):
    """Open an account for a colleague; they choose their password from the e-mailed link."""

    email = StringField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    full_name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    role = SelectField(
        _l("Role"), default=REVIEWER, validators=[InputRequired()], render_kw=ALWAYS_CHOSEN
    )
    locale = SelectField(
        _l("Language of the invitation"), validators=[InputRequired()], render_kw=ALWAYS_CHOSEN
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = list(ROLE_LABELS.items())
        self.locale.choices = list(LANGUAGES.items())
        if not self.locale.data:
            self.locale.data = str(get_locale() or "en")


def _in_other_languages(form, field: str, max_length: int, textarea: bool = False):
    """`name_ru`, `name_kk`, `name_zh` ... fields on `form`, each labelled by its language."""
    kind = TextAreaField if textarea else StringField
    for lang in OTHER_LANGUAGES:
        box = kind(
            LANGUAGES[lang],
            validators=[Optional(), Length(max=max_length)],
            render_kw={"lang": lang},  # spelling, fonts and screen readers in that language
        )
        setattr(form, f"{field}_{lang}", box)
    return form


class ZoneForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=16)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=4000)])
    timezone = StringField(_l("Time zone"), validators=[DataRequired(), Length(max=64)])
    active = BooleanField(_l("Active: investors can choose this zone"), default=True)


_in_other_languages(ZoneForm, "name", 200)
_in_other_languages(ZoneForm, "description", 4000, textarea=True)


class SectorForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    active = BooleanField(_l("Active: investors can choose this sector"), default=True)


_in_other_languages(SectorForm, "name", 200)


class BaselineForm(FlaskForm):
    label = StringField(_l("Label"), validators=[DataRequired(), Length(max=64)])
    kind = SelectField(_l("Kind"), validators=[InputRequired()], render_kw=ALWAYS_CHOSEN)
    year = IntegerField(_l("Year"), validators=[InputRequired()])
    registrations = IntegerField(_l("Registrations"), validators=[InputRequired()])
    days = IntegerField(_l("Days"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = list(KIND_LABELS.items())


class ReasonForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32)])
    label = StringField(
        _l("Reason shown to the investor"), validators=[DataRequired(), Length(max=200)]
    )
    active = BooleanField(_l("Active: reviewers can choose this reason"), default=True)


_in_other_languages(ReasonForm, "label", 200)


class ContactForm(FlaskForm):
    """An office of the zone administration, as the help pages list it."""

    zone_id = SelectField(_l("Zone"), coerce=optional_int, validators=[Optional()])
    office = StringField(_l("Office"), validators=[DataRequired(), Length(max=200)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Length(max=254)])
    hours = StringField(_l("Opening hours"), validators=[Optional(), Length(max=200)])
    position = IntegerField(_l("Order"), validators=[Optional()])
    active = BooleanField(_l("Active: shown on the help pages"), default=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone_id.choices = [("", _l("All zones (the portal's help desk)"))] + [
            (z.id, f"{z.code} — {data_text(z.name)}") for z in admin_service.items("zone")
        ]


_in_other_languages(ContactForm, "office", 200)
_in_other_languages(ContactForm, "address", 300)
_in_other_languages(ContactForm, "hours", 200)


class AuditFilterForm(GetForm):
    action = SelectField(_l("Action"), validators=[Optional()])
    actor = SelectField(_l("Done by"), validators=[Optional()])

    def __init__(self, actions, actors, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.action.choices = [
            ("", _l("All actions")),
            *((a, ACTION_LABELS.get(a, a)) for a in actions),
        ]
        self.actor.choices = [("", _l("Anyone")), *((str(u.id), u.email) for u in actors)]


def eligibility_form(zones, sectors, admitted: set[tuple[int, int]], formdata=None) -> FlaskForm:
    """One checkbox per zone and sector, named `z<zone id>_s<sector id>`."""

    class EligibilityForm(FlaskForm):
        pass

    for zone in zones:
        for sector in sectors:
            label = _l("%(zone)s admits %(sector)s", zone=zone.code, sector=data_text(sector.name))
            field = BooleanField(label, default=(zone.id, sector.id) in admitted)
            setattr(EligibilityForm, pair_name(zone.id, sector.id), field)
    return EligibilityForm(formdata=formdata)


def pair_name(zone_id: int, sector_id: int) -> str:
    return f"z{zone_id}_s{sector_id}"


class CompanyLookupForm(GetForm):
    """The registration number of the company whose status an admin looks at."""

    number = StringField(
        _l("Registration number"),
        validators=[
            DataRequired(message=_l("Type the company's registration number.")),
            Length(max=40),
        ],
    )


class CompanyStatusForm(FlaskForm):
    """A new status for a registered company; the service checks the move, the reason and the
    date (services/company_status.py)."""

    # Any value reaches the service, which refuses a move the lifecycle does not allow.
    status = SelectField(
        _l("New status"),
        validators=[InputRequired()],
        render_kw=ALWAYS_CHOSEN,
        validate_choice=False,
    )
    reason = TextAreaField(
        _l("Reason"),
        validators=[
            DataRequired(message=_l("Give the reason: it is shown on the public record.")),
            Length(max=2000),
        ],
    )
    effective_on = DateField(
        _l("Effective date"),
        validators=[InputRequired(message=_l("Enter the date the status takes effect."))],
    )

    def __init__(self, moves, today, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [(m.target, lifecycle.COMPANY_MOVE_LABELS[m.action]) for m in moves]
        if self.effective_on.data is None and not self.is_submitted():
            self.effective_on.data = today
