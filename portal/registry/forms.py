"""The public registry's GET forms: its search filters, and the offline check of a certificate.

The certificate number to verify is `portal.forms.VerifyForm`: the home page asks for it too.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SearchField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal import lifecycle
from portal.forms import GetForm
from portal.i18n import data_text
from portal.services.statements import MAX_STATEMENT


class RegistrySearchForm(GetForm):
    """Its values live in the URL."""

    q = SearchField(
        _l("Company name or registration number"), validators=[Optional(), Length(max=200)]
    )
    zone = SelectField(_l("Zone"), validators=[Optional()])
    sector = SelectField(_l("Sector"), validators=[Optional()])
    status = SelectField(_l("Status"), validators=[Optional()])

    def __init__(self, *args, zones=(), sectors=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.zone.choices = [("", _l("All zones"))] + [
            (z.code, f"{z.code} — {data_text(z.name)}") for z in zones
        ]
        self.sector.choices = [("", _l("All sectors"))] + [
            (s.code, data_text(s.name)) for s in sectors
        ]
        self.status.choices = [("", _l("Any status"))] + [
            (s, lifecycle.COMPANY_STATE_LABELS[s]) for s in lifecycle.COMPANY_STATES
        ]


class CertificateCheckForm(GetForm):
    """What a QR reader read from a certificate: checked with the published keys alone."""

    code = TextAreaField(
        _l("The text of the certificate's QR code"),
        validators=[
            DataRequired(message=_l("Paste or type the text your QR reader shows.")),
            Length(max=MAX_STATEMENT + 1000, message=_l("This is longer than any QR code.")),
        ],
    )
