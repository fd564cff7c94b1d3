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
from wtforms.widgets import TextInput

from portal import i18n
from portal.forms import ALWAYS_CHOSEN, CHOOSE, IntegerField, StopWhenUnparsed, optional_int
from portal.services import applications as app_service
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
