"""Form pieces shared by the blueprints, and the one way a domain refusal reaches a form."""

from __future__ import annotations

from collections.abc import Iterable

from flask import flash
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from portal.services import DomainError

CHOOSE = ("", _l("— choose —"))
# For a select that always holds one of its choices (no empty "choose" option): HTML allows
# `required` on a select only when its first option is an empty placeholder.
ALWAYS_CHOSEN = {"required": False}


def optional_int(value):
    """Coerce a select's value to an id; the empty choice is None."""
    if value in (None, "", "None"):
        return None
    return int(value)


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
