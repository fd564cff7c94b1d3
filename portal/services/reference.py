"""Reference data of PRODUCT.md: loaded once, then data that admins edit."""

from __future__ import annotations

from portal.extensions import db
from portal.i18n import N_
from portal.models import Baseline, RejectionReason, Sector, Zone

ZONES = [
    {
        "code": "ICBC",
        "name": N_('ICBC "Khorgos" trade zone (Kazakh part)'),
        "timezone": "Asia/Almaty",
        "description": N_(
            "International Centre for Cross-Border Cooperation: duty-free trading "
            "on the Kazakhstan-China border, 72 hours visa-free for foreign citizens."
        ),
        "sectors": ["textiles", "household", "electronics", "tourism", "ecommerce", "finance"],
    },
    {
        "code": "KEG-IND",
        "name": N_('SEZ "Khorgos - Eastern Gate" industrial zone'),
        "timezone": "Asia/Almaty",
        "description": N_(
            "Manufacturing and processing: textiles, household goods, electronics, "
            "agricultural products, pharmaceuticals."
        ),
        "sectors": ["textiles", "household", "electronics", "agro", "pharma"],
    },
    {
        "code": "KEG-LOG",
        "name": N_('SEZ "Khorgos - Eastern Gate" logistics zone (dry port)'),
        "timezone": "Asia/Almaty",
        "description": N_(
            "The dry port: transshipment between Chinese and 1520 mm gauge rail, "
            "warehousing, e-commerce fulfilment."
        ),
        "sectors": ["logistics", "ecommerce"],
    },
    {
        "code": "LYG",
        "name": N_("Lianyungang Kazakh-Chinese logistics terminal"),
        "timezone": "Asia/Shanghai",
        "description": N_(
            "Sea terminal on the Chinese coast, 410,000 TEU a year of handling capacity."
        ),
        "sectors": ["logistics", "ecommerce"],
    },
]

SECTORS = [
    ("textiles", N_("Textiles")),
    ("household", N_("Household goods")),
    ("electronics", N_("Electronics")),
    ("agro", N_("Agricultural processing")),
    ("pharma", N_("Pharmaceuticals")),
    ("tourism", N_("Tourism")),
    ("ecommerce", N_("E-commerce")),
    ("finance", N_("Finance")),
    ("logistics", N_("Logistics")),
]

BASELINES = [
    {"label": "2016", "year": 2016, "registrations": 2406, "days": 366, "kind": "year"},
    {"label": "2017", "year": 2017, "registrations": 7300, "days": 365, "kind": "year"},
]

REJECTION_REASONS = [
    ("incomplete_documents", N_("Incomplete or unreadable documents")),
    ("sector_not_eligible", N_("Sector not eligible in the chosen zone")),
    ("founders_unverified", N_("Founders or shareholders could not be verified")),
    ("name_unavailable", N_("Company name not available")),
    ("investment_insufficient", N_("Planned investment below the zone's threshold")),
    ("other", N_("Other")),
]


def seed_reference() -> dict[str, int]:
    """Insert what is missing; never overwrite what admins changed. Safe to run twice."""
    added = {"zones": 0, "sectors": 0, "baselines": 0, "reasons": 0}
    sectors = {s.code: s for s in db.session.scalars(db.select(Sector))}
    for code, name in SECTORS:
        if code not in sectors:
            sectors[code] = Sector(code=code, name=name)
            db.session.add(sectors[code])
            added["sectors"] += 1
    zones = {z.code: z for z in db.session.scalars(db.select(Zone))}
    for spec in ZONES:
        if spec["code"] in zones:
            continue
        zone = Zone(
            code=spec["code"],
            name=spec["name"],
            timezone=spec["timezone"],
            description=spec["description"],
        )
        zone.sectors = [sectors[c] for c in spec["sectors"]]
        db.session.add(zone)
        added["zones"] += 1
    labels = set(db.session.scalars(db.select(Baseline.label)))
    for spec in BASELINES:
        if spec["label"] not in labels:
            db.session.add(Baseline(**spec))
            added["baselines"] += 1
    codes = set(db.session.scalars(db.select(RejectionReason.code)))
    for code, label in REJECTION_REASONS:
        if code not in codes:
            db.session.add(RejectionReason(code=code, label=label))
            added["reasons"] += 1
    db.session.commit()
    return added


def active_zones() -> list[Zone]:
    return list(db.session.scalars(db.select(Zone).where(Zone.active).order_by(Zone.code)))


def active_sectors() -> list[Sector]:
    return list(db.session.scalars(db.select(Sector).where(Sector.active).order_by(Sector.name)))
