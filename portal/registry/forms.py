"""The public registry's search filters, a GET form.

The certificate number to verify is `portal.forms.VerifyForm`: the home page asks for it too.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SearchField, SelectField
from wtforms.validators import Length, Optional

from portal.forms import GetForm
from portal.i18n import data_text


class RegistrySearchForm(GetForm):
    """Its values live in the URL."""

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
