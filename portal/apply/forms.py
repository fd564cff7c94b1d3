"""The application's step forms. They parse and check format; completeness is the service's."""

from __future__ import annotations

import re
from decimal import MAX_PREC, Context, Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DecimalField,
    EmailField,
    FieldList,
    Form,
    FormField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from portal import i18n
from portal.forms import (
    ALWAYS_CHOSEN,
    CHOOSE,
    DateField,
    IntegerField,
    StopWhenUnparsed,
    optional_int,
)
from portal.services import applications as app_service
from portal.services import owners as owner_rules
from portal.services.reference import active_sectors, active_zones


def parse_amount(text: str) -> Decimal:
    """Read a number written with either convention: "1 500 000,50" or "1,500,000.50".

    The last separator followed by one or two digits is the decimal mark; the others group.
    """
    cleaned = re.sub(r"[\s\u00a0\u202f'’]", "", text)
    if not re.fullmatch(r"[+-]?[\d.,]+", cleaned):
        raise InvalidOperation(text)
    sign = "-" if cleaned.startswith("-") else ""
    digits = cleaned.lstrip("+-")
    match = re.search(r"[.,](\d{1,2})$", digits)
    if match:
        whole, fraction = digits[: match.start()], match.group(1)
    else:
        whole, fraction = digits, ""
    whole = whole.replace(",", "").replace(".", "")
    if not whole and not fraction:
        raise InvalidOperation(text)
    return Decimal(f"{sign}{whole or 0}.{fraction or 0}")


class LocalizedDecimalField(StopWhenUnparsed, DecimalField):
    """A decimal typed the way the reader writes numbers: "1 500 000,50" or "1,500,000.50"."""

    # A text input: a number input refuses group separators and a decimal comma. Text inputs
    # may not carry min/max/step, so the limits are checked on the server only.
    widget = TextInput()

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = parse_amount(valuelist[0])
        except InvalidOperation as exc:
            self.data = None
            raise ValueError(_l("Enter a number, for example 1500000.50.")) from exc
        if self.places is not None:
            # As many digits as it takes: a number too long for the default 28 is refused by
            # the field's range, not by an error in the rounding.
            places = Decimal(1).scaleb(-self.places)
            self.data = self.data.quantize(places, context=Context(prec=MAX_PREC))


class CompanyForm(FlaskForm):
    company_name = StringField(
        _l("Proposed company name"), validators=[Optional(), Length(min=2, max=200)]
    )
    # Shown when the name is similar to one in use (its label names them: services.company_names).
    similar_names_checked = BooleanField(_l("I have checked: my company is not one of these."))
    legal_form = SelectField(_l("Legal form"), validators=[Optional()])
    zone_id = SelectField(_l("Zone"), coerce=optional_int, validators=[Optional()])
    # static/js/forms.js lists only the sectors the chosen zone admits (each zone's option
    # names them); without JavaScript every sector is listed, and the server refuses the others.
    sector_id = SelectField(
        _l("Sector"),
        coerce=optional_int,
        validators=[Optional()],
        render_kw={"data-narrowed-by": "zone_id"},
    )
    activity_code = StringField(
        _l("Economic activity code (OKED)"),
        validators=[
            Optional(),
            Regexp(r"^\d{2}\.\d{2}(\.\d)?$", message=_l("Write the code as 13.92.0 or 13.92.")),
        ],
    )
    address = StringField(_l("Address in the zone"), validators=[Optional(), Length(max=300)])
    director_name = StringField(
        _l("Director's full name"), validators=[Optional(), Length(max=200)]
    )
    director_nationality = SelectField(_l("Director's nationality"), validators=[Optional()])
    contact_email = EmailField(
        _l("Contact e-mail"),
        validators=[
            Optional(),
            Email(message=_l("Enter a valid e-mail address.")),
            Length(max=254),
        ],
    )
    contact_phone = StringField(
        _l("Contact phone"),
        validators=[
            Optional(),
            Regexp(
                r"^\+?[0-9][0-9 ()\-]{5,24}$",
                message=_l("Enter the number with its country code, e.g. +7 727 000 00 00."),
            ),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.legal_form.choices = [CHOOSE, *app_service.LEGAL_FORMS.items()]
        self.zone_id.choices = [CHOOSE] + [
            (
                z.id,
                f"{z.code} — {i18n.data_text(z.name)}",
                {"data-sectors": " ".join(str(s.id) for s in z.sectors)},
            )
            for z in active_zones()
        ]
        self.sector_id.choices = [CHOOSE, *i18n.sector_choices(active_sectors())]
        self.director_nationality.choices = [CHOOSE, *i18n.country_choices()]


class InvestmentForm(FlaskForm):
    investment_amount = LocalizedDecimalField(
        _l("Planned investment"),
        places=2,
        validators=[
            Optional(),
            NumberRange(
                min=Decimal("0.01"),
                max=Decimal("9999999999999999"),
                message=_l("Enter an amount above zero."),
            ),
        ],
    )
    investment_currency = SelectField(_l("Currency"), validators=[Optional()])
    planned_jobs = IntegerField(
        _l("Planned jobs"),
        validators=[
            Optional(),
            NumberRange(min=0, max=1_000_000, message=_l("Enter a whole number from 0.")),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.investment_currency.choices = [CHOOSE, *i18n.currency_choices(app_service.CURRENCIES)]


class FounderEntryForm(Form):
    kind = SelectField(_l("Type"), validators=[DataRequired()], render_kw=ALWAYS_CHOSEN)
    name = StringField(
        _l("Full name or company name"), validators=[DataRequired(), Length(max=200)]
    )
    nationality = SelectField(
        _l("Nationality or country of registration"), validators=[DataRequired()]
    )
    share = LocalizedDecimalField(
        _l("Share, %"),
        places=2,
        validators=[
            InputRequired(),
            NumberRange(
                min=Decimal("0.01"),
                max=Decimal(100),
                message=_l("Enter a share above 0 and at most 100."),
            ),
        ],
    )


class FoundersForm(FlaskForm):
    founders = FieldList(FormField(FounderEntryForm), min_entries=1, max_entries=50)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fill_choices()

    @classmethod
    def of(cls, application) -> FoundersForm:
        """The application's founders, or one empty row to start with."""
        rows = [
            {"kind": f.kind, "name": f.name, "nationality": f.nationality, "share": f.share}
            for f in application.founders
        ] or [{"kind": "natural", "name": "", "nationality": "", "share": None}]
        return cls(formdata=None, data={"founders": rows})

    def add_row(self) -> None:
        self.founders.append_entry()
        self.fill_choices()

    def remove_row(self, action: str) -> None:
        """Drop the row a "remove-<index>" button names; the last row stays."""
        number = action.removeprefix("remove-")
        index = int(number) if number.isdigit() else -1
        if 0 <= index < len(self.founders.entries) and len(self.founders.entries) > 1:
            del self.founders.entries[index]

    def fill_choices(self) -> None:
        countries = [CHOOSE, *i18n.country_choices()]
        kinds = list(app_service.FOUNDER_KINDS.items())
        for entry in self.founders.entries:
            entry.form.kind.choices = kinds
            entry.form.nationality.choices = countries

    def rows(self) -> list[dict]:
        return [
            {
                "kind": e.form.kind.data,
                "name": e.form.name.data,
                "nationality": e.form.nationality.data,
                "share": e.form.share.data,
            }
            for e in self.founders.entries
        ]


class BirthDateField(StopWhenUnparsed, DateField):
    """A date of birth: a date that did not parse says so, without "required" beside it."""


class OwnerEntryForm(Form):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    birth_date = BirthDateField(_l("Date of birth"), validators=[DataRequired()])
    nationality = SelectField(_l("Nationality"), validators=[DataRequired()])
    residence = SelectField(_l("Country of residence"), validators=[DataRequired()])
    controls = SelectMultipleField(
        _l("Nature of control"),
        description=_l("Tick every one that applies."),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validators=[Optional()],
    )
    # Percent ranges are the service's rule (services/owners.py): here only the number's form.
    shares_percent = LocalizedDecimalField(_l("Shares, %"), places=2, validators=[Optional()])
    votes_percent = LocalizedDecimalField(_l("Votes, %"), places=2, validators=[Optional()])
    # Any founder's name, even one no longer listed: the service says it must be chosen again.
    held_through = SelectField(
        _l("Held"),
        validators=[Optional(), Length(max=200)],
        render_kw=ALWAYS_CHOSEN,
        validate_choice=False,
    )


class OwnersForm(FlaskForm):
    owners = FieldList(FormField(OwnerEntryForm), min_entries=0, max_entries=50)
    owners_none_declared = BooleanField(
        _l("No natural person holds at least 25%, or controls the company by other means")
    )
    owners_none_reason = TextAreaField(
        _l("Why not"),
        description=_l(
            "For example: the shares are widely held through a listed company, and nobody "
            "holds as much as 25%."
        ),
        validators=[Optional(), Length(max=2000)],
    )

    def __init__(self, *args, founders=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.founders = list(founders)
        self.fill_choices()

    @classmethod
    def of(cls, application) -> OwnersForm:
        """The application's owners; one empty row to start with when some are needed."""
        rows = app_service.owner_rows(application)
        if (
            not rows
            and not application.owners_none_declared
            and owner_rules.is_required(application.founders)
        ):
            rows = [{"controls": []}]
        return cls(
            formdata=None,
            founders=application.founders,
            data={
                "owners": rows,
                "owners_none_declared": application.owners_none_declared,
                "owners_none_reason": application.owners_none_reason,
            },
        )

    def add_row(self) -> None:
        if len(self.owners.entries) < self.owners.max_entries:
            self.owners.append_entry()
            self.fill_choices()

    def remove_row(self, action: str) -> None:
        """Drop the row a "remove-<index>" button names."""
        number = action.removeprefix("remove-")
        index = int(number) if number.isdigit() else -1
        if 0 <= index < len(self.owners.entries):
            del self.owners.entries[index]

    def drop_blank_rows(self) -> None:
        """A row left entirely empty is no owner (the page starts with one)."""

        def typed(field) -> bool:
            return any(str(value).strip() for value in (field.raw_data or ()))

        self.owners.entries = [
            e for e in self.owners.entries if any(typed(f) for f in e.form if f.name)
        ]

    def fill_choices(self) -> None:
        countries = [CHOOSE, *i18n.country_choices()]
        through = [("", _l("Directly, or by other means"))] + [
            (f.name, _l("Through %(founder)s", founder=f.name))
            for f in self.founders
            if f.kind == "legal"
        ]
        controls = list(owner_rules.CONTROLS.items())
        for entry in self.owners.entries:
            entry.form.controls.choices = controls
            entry.form.nationality.choices = countries
            entry.form.residence.choices = countries
            held = entry.form.held_through.data or ""
            choices = list(through)
            if held and held not in {value for value, _label in through}:
                choices.append((held, _l("Through %(founder)s", founder=held)))
            entry.form.held_through.choices = choices

    def rows(self) -> list[dict]:
        return [
            {name: e.form[name].data for name in owner_rules.ROW_FIELDS}
            for e in self.owners.entries
        ]

    def attach(self, problems) -> None:
        """Put each problem next to its field: an owner's field by its id, the step's own
        problems ("owners") above the list."""
        for problem in problems:
            field = None
            if problem.field == "owners":
                if problem.message not in self.form_errors:
                    self.form_errors.append(problem.message)
                continue
            if problem.field and problem.field.startswith("owners-"):
                _prefix, index, name = problem.field.split("-", 2)
                if int(index) < len(self.owners.entries):
                    field = self.owners.entries[int(index)].form._fields.get(name)
            elif problem.field:
                field = self._fields.get(problem.field)
            if field is not None and problem.message not in field.errors:
                field.errors = [*field.errors, problem.message]
        self.owners.errors = [e.errors for e in self.owners.entries if e.errors]


class DocumentForm(FlaskForm):
    doc_type = SelectField(_l("Type of document"), validators=[DataRequired()])
    file = FileField(
        _l("File (PDF, PNG or JPEG)"),
        validators=[FileRequired(message=_l("Choose a file to upload."))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.doc_type.choices = [CHOOSE, *app_service.DOCUMENT_TYPES.items()]


class SubmitForm(FlaskForm):
    # Shown on a resubmission only: the investor's answer to the request for information.
    answer = TextAreaField(
        _l("Your answer to the reviewer (optional)"),
        description=_l("What you changed or added. The reviewer reads it with the application."),
        validators=[Optional(), Length(max=4000)],
    )
    confirm = BooleanField(
        _l("I confirm that the information and documents are true and complete."),
        validators=[DataRequired(message=_l("Tick the box to confirm."))],
    )


class WithdrawForm(FlaskForm):
    comment = TextAreaField(_l("Reason (optional)"), validators=[Optional(), Length(max=2000)])
