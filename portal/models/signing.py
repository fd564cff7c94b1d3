"""The public keys the portal has signed certificates with: published forever, so every
certificate it ever issued keeps verifying after the keys rotate."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.base import UTCDateTime, utcnow

# What a published key is for.
KEY_CA = "ca"  # a certificate authority's certificate in the signing certificate's chain
KEY_SIGNING = "signing"  # the certificate of a key that signed certificates' PDFs
KEY_STATEMENT = "statement"  # an Ed25519 key that signed the statements in QR codes
KEY_KINDS = (KEY_CA, KEY_SIGNING, KEY_STATEMENT)


class PublishedKey(db.Model):
    """A public key or certificate, never private material; rows are added, never changed."""

    __tablename__ = "published_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    # A certificate (CERTIFICATE) or, for a statement key, its SubjectPublicKeyInfo (PUBLIC KEY).
    pem: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
