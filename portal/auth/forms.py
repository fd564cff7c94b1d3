from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from portal.services.passwords import MAX_LENGTH, MIN_LENGTH

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
