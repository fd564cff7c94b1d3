"""Forms of the public registry: search filters and the certificate number to verify (GET)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SearchField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from portal.i18n import data_text


class RegistrySearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form: its values live in the URL

    q = SearchField(
        _l("Company name or registration number"), validators=[Optional(), Length(max=200)]
    )
    zone = SelectField(_l("Zone"), validators=[Optional()])
    sector = SelectField(_l("Sector"), validators=[Optional()])

    def __init__(self, *args, zones=(), sectors=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.zone.choices = [("", _l("All zones"))] + [
            (z.code, f"{z.code} — {data_text(z.name)}") for z in zones
        ]
        self.sector.choices = [("", _l("All sectors"))] + [
            (s.code, data_text(s.name)) for s in sectors
        ]


class VerifyForm(FlaskForm):
    class Meta:
        csrf = False

    number = StringField(
        _l("Registration number"),
        validators=[
            DataRequired(message=_l("Type the number printed on the certificate.")),
            Length(max=40),
        ],
    )
