"""All models, importable from one place."""

from portal.models.accounts import (
    ADMIN,
    INVESTOR,
    REVIEWER,
    ROLES,
    STAFF_ROLES,
    RecoveryCode,
    User,
    UserSession,
)
from portal.models.api_tokens import ApiToken
from portal.models.applications import (
    Application,
    ApplicationEvent,
    BeneficialOwner,
    Document,
    Founder,
)
from portal.models.contacts import ZoneContact
from portal.models.messages import AuditEntry, OutgoingEmail
from portal.models.reference import Baseline, RejectionReason, Sector, Zone, zone_sectors
from portal.models.registry import (
    CompanyStatusEvent,
    Registration,
    RegistrationCounter,
    RegistrationVersion,
)
from portal.models.signing import PublishedKey
from portal.models.summary import DailyCount

__all__ = [
    "ADMIN",
    "ApiToken",
    "INVESTOR",
    "REVIEWER",
    "ROLES",
    "STAFF_ROLES",
    "Application",
    "ApplicationEvent",
    "AuditEntry",
    "Baseline",
    "BeneficialOwner",
    "CompanyStatusEvent",
    "DailyCount",
    "Document",
    "Founder",
    "OutgoingEmail",
    "PublishedKey",
    "RecoveryCode",
    "Registration",
    "RegistrationCounter",
    "RegistrationVersion",
    "RejectionReason",
    "Sector",
    "User",
    "UserSession",
    "Zone",
    "ZoneContact",
    "zone_sectors",
]
