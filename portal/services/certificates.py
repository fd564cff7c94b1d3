"""The certificate of registration: an A4 PDF, digitally signed by the portal, with a QR code that
opens the public verification page and holds a statement signed by the portal (a certificate that
proves itself offline: portal/services/signing.py, portal/services/statements.py).

Names come in Latin, Cyrillic (Russian, Kazakh) and Chinese, sometimes mixed in one name, and no
single free TrueType font covers them all. Text is set in DejaVu and each run of characters DejaVu
has no glyph for switches to Droid Sans Fallback (see portal/fonts/README.md).
"""

from __future__ import annotations

import io
from functools import cache, partial
from itertools import groupby
from pathlib import Path
from xml.sax.saxutils import escape

import pypdf
import segno
from flask_babel import format_date, format_percent
from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from portal import i18n
from portal.models import Registration
from portal.services import applications as app_service
from portal.services import signing, statements, zone_time
from portal.urls import external_url

FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"
SANS = "KG-DejaVuSans"
SANS_BOLD = "KG-DejaVuSans-Bold"
SERIF_BOLD = "KG-DejaVuSerif-Bold"
FALLBACK = "KG-DroidSansFallback"
FONT_FILES = {
    SANS: "DejaVuSans.ttf",
    SANS_BOLD: "DejaVuSans-Bold.ttf",
    SERIF_BOLD: "DejaVuSerif-Bold.ttf",
    FALLBACK: "DroidSansFallbackFull.ttf",
}

BRAND = colors.HexColor("#0b5c7d")
ACCENT = colors.HexColor("#d98e04")
INK = colors.HexColor("#1b2430")
MUTED = colors.HexColor("#5b6675")
LINE = colors.HexColor("#c9d3dc")
TINT = colors.HexColor("#f1f6f8")


@cache
def _glyphs() -> dict[str, frozenset[int]]:
    """Register the bundled fonts once per process; the code points each has a glyph for."""
    covered = {}
    for name, filename in FONT_FILES.items():
        font = TTFont(name, str(FONT_DIR / filename))
        pdfmetrics.registerFont(font)
        covered[name] = frozenset(font.face.charToGlyph)
    return covered


def markup(text: str, font: str) -> str:
    """Paragraph markup for `text` in `font`, with runs it cannot show set in the fallback font."""
    glyphs = _glyphs()

    def font_for(char: str) -> str:
        if ord(char) in glyphs[font] or ord(char) not in glyphs[FALLBACK]:
            return font
        return FALLBACK

    runs = []
    for run_font, chars in groupby(text, key=font_for):
        run = escape("".join(chars))
        runs.append(run if run_font == font else f'<font face="{run_font}">{run}</font>')
    return "".join(runs)


def verify_url(number: str) -> str:
    """The public page that confirms a certificate, at the portal's public address."""
    return external_url("registry.verify", number=number)


def qr_text(number: str, statement: str) -> str:
    """What the QR code holds: the verify page's address, carrying the signed statement."""
    return f"{verify_url(number)}?{statements.QUERY_PARAMETER}={statement}"


class QRCode(Flowable):
    """A QR code drawn as vector squares, crisp at any zoom and in print; clicking it in a PDF
    reader opens what it holds."""

    def __init__(self, data: str, size: float):
        super().__init__()
        self.data = data
        self.matrix = [list(row) for row in segno.make(data, error="m").matrix_iter(border=2)]
        self.width = self.height = size

    def draw(self):
        modules = len(self.matrix)
        cell = self.width / modules
        canvas = self.canv
        canvas.setFillColor(colors.white)
        canvas.rect(0, 0, self.width, self.height, stroke=0, fill=1)
        canvas.setFillColor(colors.black)
        path = canvas.beginPath()
        for y, row in enumerate(self.matrix):
            for x, dark in enumerate(row):
                if dark:
                    path.rect(x * cell, self.height - (y + 1) * cell, cell, cell)
        canvas.drawPath(path, stroke=0, fill=1)
        canvas.linkURL(self.data, (0, 0, self.width, self.height), relative=1, thickness=0)


def qr_link(pdf: bytes) -> str | None:
    """The address the QR code links to in a certificate's PDF (the same text it holds)."""
    try:
        page = pypdf.PdfReader(io.BytesIO(pdf)).pages[0]
        for annotation in page.get("/Annots") or []:
            uri = annotation.get_object().get("/A", {}).get("/URI")
            if uri and f"?{statements.QUERY_PARAMETER}=" in uri:
                return str(uri)
    except (pypdf.errors.PyPdfError, ValueError, KeyError, IndexError, AttributeError):
        return None
    return None


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=SANS, fontSize=10.5, leading=14, textColor=INK)
    return {
        "base": base,
        "zone": ParagraphStyle(
            "zone", base, alignment=TA_CENTER, fontSize=11, leading=15, textColor=MUTED
        ),
        "title": ParagraphStyle(
            "title",
            base,
            fontName=SERIF_BOLD,
            fontSize=27,
            leading=34,
            alignment=TA_CENTER,
            textColor=BRAND,
            spaceBefore=4,
            spaceAfter=2,
        ),
        "centre": ParagraphStyle("centre", base, alignment=TA_CENTER),
        "company": ParagraphStyle(
            "company",
            base,
            fontName=SERIF_BOLD,
            fontSize=21,
            leading=27,
            alignment=TA_CENTER,
            spaceBefore=6,
            spaceAfter=2,
        ),
        "number": ParagraphStyle(
            "number",
            base,
            fontName=SANS_BOLD,
            fontSize=17,
            leading=22,
            alignment=TA_CENTER,
            textColor=BRAND,
            spaceBefore=4,
        ),
        "label": ParagraphStyle("label", base, fontSize=9, leading=12, textColor=MUTED),
        "value": ParagraphStyle("value", base, fontName=SANS_BOLD),
        "heading": ParagraphStyle(
            "heading", base, fontName=SANS_BOLD, fontSize=12, textColor=BRAND, spaceAfter=4
        ),
        "cell": ParagraphStyle("cell", base, fontSize=10, leading=13, alignment=TA_LEFT),
        "small": ParagraphStyle("small", base, fontSize=8.5, leading=11.5, textColor=MUTED),
        "url": ParagraphStyle("url", base, fontName=SANS_BOLD, fontSize=8, leading=11),
    }


def _para(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(markup(text, style.fontName), style)


def _decorate(number: str, canvas, doc) -> None:
    """The frame of every page: a double border, and the number and page at the foot."""
    width, height = A4
    canvas.saveState()
    canvas.setStrokeColor(BRAND)
    canvas.setLineWidth(2.2)
    canvas.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
    canvas.setStrokeColor(ACCENT)
    canvas.setLineWidth(0.8)
    canvas.rect(15 * mm, 15 * mm, width - 30 * mm, height - 30 * mm)
    canvas.setFillColor(BRAND)
    canvas.rect(15 * mm, height - 27 * mm, width - 30 * mm, 12 * mm, stroke=0, fill=1)
    canvas.setFillColor(colors.white)
    canvas.setFont(SANS_BOLD, 11)
    canvas.drawCentredString(width / 2, height - 22.6 * mm, _("KHORGOS GATEWAY"))
    canvas.setFillColor(MUTED)
    canvas.setFont(SANS, 7.5)
    canvas.drawCentredString(
        width / 2,
        18.5 * mm,
        _(
            "Khorgos Gateway · certificate of registration %(number)s · page %(page)d",
            number=number,
            page=doc.page,
        ),
    )
    canvas.restoreState()


def _facts(rows: list[tuple[str, str]], styles, width: float) -> Table:
    data = [[_para(label, styles["label"]), _para(value, styles["value"])] for label, value in rows]
    table = Table(data, colWidths=[width * 0.34, width * 0.66])
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), SANS),  # not Helvetica, which is not embedded
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -2), 0.5, LINE),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def _founders(application, styles, width: float) -> Table:
    header = [_("Founder"), _("Type"), _("Nationality or country of registration"), _("Share")]
    data = [[_para(h, styles["label"]) for h in header]]
    for founder in application.founders:
        data.append(
            [
                _para(founder.name, styles["cell"]),
                _para(str(app_service.FOUNDER_KINDS.get(founder.kind, "")), styles["cell"]),
                _para(i18n.country_name(founder.nationality), styles["cell"]),
                _para(format_percent(founder.share / 100, "#,##0.##%"), styles["cell"]),
            ]
        )
    table = Table(data, colWidths=[width * f for f in (0.39, 0.22, 0.27, 0.12)], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), SANS),  # not Helvetica, which is not embedded
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), TINT),
                ("LINEBELOW", (0, 0), (-1, -1), 0.5, LINE),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    return table


def _verification(
    statement: statements.Statement, token: str, kid: str, styles, width: float
) -> Table:
    url = verify_url(statement.number)
    qr_size = 36 * mm
    text = [
        _para(_("Verify this certificate"), styles["heading"]),
        _para(
            _(
                "Scan the code, or open the address below, to see this registration in the public "
                "registry of the Khorgos zones."
            ),
            styles["small"],
        ),
        Spacer(1, 4),
        _para(url, styles["url"]),
        Spacer(1, 3),
        _para(
            _(
                "Offline: the code holds a statement signed by the portal; %(address)s checks it "
                "with the portal's published keys.",
                address=external_url("registry.check"),
            ),
            styles["small"],
        ),
        _para(
            _(
                "Version %(version)d · issued on %(date)s · key %(key)s",
                version=statement.version,
                date=format_date(statement.issued_on, "long"),
                key=kid,
            ),
            styles["small"],
        ),
    ]
    table = Table(
        [[QRCode(qr_text(statement.number, token), qr_size), text]],
        colWidths=[qr_size + 6 * mm, width - qr_size - 6 * mm],
    )
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), SANS),  # not Helvetica, which is not embedded
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("BOX", (0, 0), (-1, -1), 0.6, LINE),
                ("BACKGROUND", (1, 0), (1, 0), TINT),
                ("LEFTPADDING", (0, 0), (0, 0), 3 * mm),
                ("LEFTPADDING", (1, 0), (1, 0), 4 * mm),
                ("RIGHTPADDING", (1, 0), (1, 0), 4 * mm),
                ("TOPPADDING", (0, 0), (-1, -1), 3 * mm),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3 * mm),
            ]
        )
    )
    return table


def render_certificate(registration: Registration) -> bytes:
    """The certificate of `registration` as PDF bytes, in the current language, signed by the
    portal (its key published before the PDF is handed out)."""
    _glyphs()
    keys = signing.current_keys()
    statement = statements.Statement.of(
        registration,
        issued_on=zone_time.today(registration.zone),
        version=statements.current_version(registration),
    )
    token = statements.sign(statement, keys)
    application = registration.record  # the record as it stands, after any approved change
    styles = _styles()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=26 * mm,
        rightMargin=26 * mm,
        topMargin=34 * mm,
        bottomMargin=26 * mm,
        title=_("Certificate of registration %(number)s", number=registration.number),
        author=_("Khorgos Gateway"),
        subject=registration.company_name,
        creator=_("Khorgos Gateway"),
        # Pages start in our font: no reference to Helvetica, which is not embedded.
        initialFontName=SANS,
    )
    width = doc.width - 12  # the frame keeps 6 pt of padding on each side
    legal_form = str(app_service.LEGAL_FORMS.get(application.legal_form, ""))
    director = application.director_name
    if application.director_nationality:
        director += f" ({i18n.country_name(application.director_nationality)})"
    registered_on = format_date(registration.registered_on, "long")
    zone_name = i18n.data_text(registration.zone.name)
    story = [
        _para(zone_name, styles["zone"]),
        _para(_("Certificate of registration"), styles["title"]),
        _para(_("This certifies that the company"), styles["centre"]),
        _para(registration.company_name, styles["company"]),
        _para(legal_form, styles["zone"]),
        Spacer(1, 3 * mm),
        _para(
            _("is registered in the zone on %(date)s under the number", date=registered_on),
            styles["centre"],
        ),
        _para(registration.number, styles["number"]),
        Spacer(1, 7 * mm),
        _facts(
            [
                (_("Registration number"), registration.number),
                (_("Date of registration"), registered_on),
                (_("Zone"), f"{zone_name} ({registration.zone.code})"),
                (_("Sector"), i18n.data_text(registration.sector.name)),
                (_("Legal form"), legal_form),
                (_("Director"), director),
            ],
            styles,
            width,
        ),
        Spacer(1, 6 * mm),
        _para(_("Founders"), styles["heading"]),
        _founders(application, styles, width),
        Spacer(1, 6 * mm),
        _verification(statement, token, keys.statement_kid, styles, width),
    ]
    decorate = partial(_decorate, registration.number)
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    reason = _("Certificate of registration %(number)s", number=registration.number)
    return signing.sign_pdf(buffer.getvalue(), keys, reason=reason)


def certificate_filename(registration: Registration) -> str:
    return f"certificate-{registration.number}.pdf"
