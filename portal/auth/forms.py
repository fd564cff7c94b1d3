from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, ValidationError

from portal.forms import IntegerField
from portal.services import DomainError
from portal.services.accounts import normalize_email
from portal.services.passwords import MAX_LENGTH, MIN_LENGTH, check_password_policy

PASSWORD_HELP = _l(
    "At least %(n)d characters. A long phrase is easiest to remember; common passwords are "
    "refused.",
    n=MIN_LENGTH,
)


class SignupForm(FlaskForm):
    full_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=MAX_LENGTH)],
        description=PASSWORD_HELP,
    )
    password_confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )

    # The service's own checks, run with the form's, so that every problem shows at once (the
    # service checks again when it signs up).
    def validate_email(self, field):
        _refuse(normalize_email, field.data)

    def validate_password(self, field):
        _refuse(check_password_policy, field.data, (self.email.data or "").strip())


def _refuse(check, *args) -> None:
    """A service check's refusal as the field's error."""
    try:
        check(*args)
    except DomainError as exc:
        raise ValidationError(exc.message) from exc


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Keep me signed in on this device"))


class ForgotForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])


class ResetForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(max=MAX_LENGTH)],
        description=PASSWORD_HELP,
    )
    password_confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


class ChangePasswordForm(ResetForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])


class NameForm(FlaskForm):
    full_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])


class EmailChangeForm(FlaskForm):
    new_email = EmailField(
        _l("New e-mail address"),
        validators=[DataRequired(), Length(max=254)],
        description=_l("We send a link to the new address; the change happens when you open it."),
    )
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])


class SecondStepForm(FlaskForm):
    """The sign-in's second step: a code from the app, or a recovery code."""

    code = StringField(
        _l("Code from the app"),
        validators=[DataRequired(), Length(max=40)],
        description=_l("Lost your phone? Enter one of your recovery codes instead."),
    )


class TwoStepSetupForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    code = StringField(
        _l("Code from the app"),
        validators=[DataRequired(), Length(max=40)],
        description=_l("The 6 digits the app shows now for Khorgos Gateway."),
    )


class TwoStepOffForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    code = StringField(
        _l("Code from the app or a recovery code"), validators=[DataRequired(), Length(max=40)]
    )


class RecoveryCodesForm(FlaskForm):
    code = StringField(
        _l("Code from the app or a recovery code"), validators=[DataRequired(), Length(max=40)]
    )


class ApiTokenForm(FlaskForm):
    """A personal access token for the API's staff statistics (services/api_tokens.py)."""

    name = StringField(
        _l("Token name"),
        validators=[DataRequired(), Length(max=100)],
        description=_l("What the token is for, e.g. the script that uses it."),
    )
    days = IntegerField(
        _l("Valid for (days)"),
        default=90,
        validators=[DataRequired(), NumberRange(min=1, max=366)],
        description=_l("At most 366 days; make a new token when it ends."),
    )
