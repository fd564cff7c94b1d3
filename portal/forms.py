"""Form pieces shared by the blueprints, and the one way a domain refusal reaches a form."""

from __future__ import annotations

from collections.abc import Iterable

from flask import abort, flash, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField as BaseDateField
from wtforms import IntegerField as BaseIntegerField
from wtforms import StringField
from wtforms.validators import DataRequired, Length, StopValidation

from portal.services import DomainError
from portal.urls import MAX_INTEGER

CHOOSE = ("", _l("— choose —"))
# For a select that always holds one of its choices (no empty "choose" option): HTML allows
# `required` on a select only when its first option is an empty placeholder.
ALWAYS_CHOSEN = {"required": False}


def optional_int(value):
    """Coerce a select's value to an id; the empty choice is None. A number no table can hold
    is not a choice (ValueError), rather than an overflow in the query that looks it up."""
    if value in (None, "", "None"):
        return None
    number = int(value)
    if abs(number) > MAX_INTEGER:
        raise ValueError(value)
    return number


def refuse_nul_bytes() -> None:
    """400 for a request with a NUL character in a parameter, a form field, a file name, a
    path segment or a header: no person types one, and PostgreSQL refuses it in text."""
    values = [
        *(value for _name, value in request.args.items(multi=True)),
        *(value for _name, value in request.form.items(multi=True)),
        *(upload.filename or "" for _name, upload in request.files.items(multi=True)),
        *(value for value in (request.view_args or {}).values() if isinstance(value, str)),
        *(value for _name, value in request.headers.items()),
    ]
    if any("\x00" in value for value in values):
        abort(400)


class StopWhenUnparsed:
    """For a field whose typed text did not parse: its own message says what to write, and no
    other check (a range, "required") runs on the missing value to contradict it. (Nothing
    typed is left to the validators: Optional() clears the error, InputRequired() asks.)"""

    def pre_validate(self, form):
        typed = bool(self.raw_data and str(self.raw_data[0]).strip())
        if self.process_errors and typed:
            raise StopValidation()


class DateField(BaseDateField):
    """A date in the years the portal works with: 9999-12-31 parses, but a day later overflows."""

    first_year, last_year = 1900, 2100

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not self.first_year <= self.data.year <= self.last_year:
            self.data = None
            raise ValueError(_l("Enter a date between 1900 and 2100."))


class IntegerField(StopWhenUnparsed, BaseIntegerField):
    """A whole number that fits in an integer column; a larger one is not a valid number."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and abs(self.data) > MAX_INTEGER:
            self.data = None
            raise ValueError(self.gettext("Not a valid integer value."))


class EmptyForm(FlaskForm):
    """CSRF protection for a bare button that POSTs."""


class GetForm(FlaskForm):
    """Filters read from the query string: no CSRF token, nothing changes."""

    class Meta:
        csrf = False

    def value(self, name: str, default=None):
        """The field's value; `default` when it is empty or did not parse (it shows its error)."""
        field = self[name]
        return default if field.errors or field.data in (None, "") else field.data


class VerifyForm(GetForm):
    """The registration number printed on a certificate (the home page and the registry)."""

    number = StringField(
        _l("Registration number"),
        validators=[
            DataRequired(message=_l("Type the number printed on the certificate.")),
            Length(max=40),
        ],
    )


def attach_error(form, error: DomainError | Iterable) -> None:
    """Put a refusal next to the field it names: a `DomainError`, or problems (anything with
    `.field` and `.message`). A DomainError that names no field of the form is flashed; such
    a problem is left to the page, which lists what is missing."""
    problems = [error] if isinstance(error, DomainError) else error
    for problem in problems:
        field = getattr(form, problem.field, None) if problem.field else None
        if field is not None:
            if problem.message not in field.errors:
                field.errors = [*field.errors, problem.message]
        elif isinstance(problem, DomainError):
            flash(problem.message, "error")
