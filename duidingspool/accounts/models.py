"""Users, their roles, their API tokens and their single-use account links."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from duidingspool.db import UTCDateTime, one_of, utcnow
from duidingspool.extensions import db


class Role(enum.StrEnum):
    REQUESTER = "requester"
    COORDINATOR = "coordinator"
    EXPERT = "expert"
    ADMIN = "admin"


# Roles that must log in with a second factor (TOTP or a recovery code).
TWO_FACTOR_ROLES = (Role.COORDINATOR, Role.ADMIN)

# The password hash of an invited user who has not chosen a password yet. Never a valid
# Argon2 hash, so no password matches it (as Django's "unusable password").
UNUSABLE_PASSWORD_PREFIX = "!"


class LinkPurpose(enum.StrEnum):
    INVITE = "invite"  # a new user chooses their first password (valid 72 hours)
    RESET = "reset"  # a forgotten password (valid 1 hour)


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Requesters act for one municipality and the case tables it takes part in.
    municipality_id: Mapped[int | None] = mapped_column(
        ForeignKey("municipality.id", ondelete="RESTRICT")
    )
    locale: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Raised to end every session of the user at once (logout, password change,
    # deactivation); a session carries the value it was started with.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Two-factor login: the TOTP secret, encrypted (accounts/twofactor.py); enabled once the
    # user confirmed a code. The last accepted time step refuses a code used twice.
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)

    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    municipality: Mapped["Municipality | None"] = relationship()  # noqa: F821
    # The user's expert profile, if they have one (experts.models.Expert; one per user).
    expert: Mapped["Expert | None"] = relationship(back_populates="user")  # noqa: F821

    __table_args__ = (
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        CheckConstraint("locale IS NULL OR locale IN ('nl', 'en')", name="locale"),
        CheckConstraint("session_version >= 0", name="session_version"),
        CheckConstraint("totp_enabled_at IS NULL OR totp_secret IS NOT NULL", name="totp_secret"),
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses disabled users
        return self.is_enabled

    @property
    def role_names(self) -> set[Role]:
        return {Role(r.role) for r in self.roles}

    def has_role(self, *roles: Role) -> bool:
        return bool(self.role_names & set(roles))

    @property
    def totp_enabled(self) -> bool:
        return self.totp_enabled_at is not None

    @property
    def has_password(self) -> bool:
        """False for an invited user who has not chosen a password yet."""
        return not self.password_hash.startswith(UNUSABLE_PASSWORD_PREFIX)

    @property
    def requires_two_factor(self) -> bool:
        """Coordinators and admins must log in with a second factor."""
        return self.has_role(*TWO_FACTOR_ROLES)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class UserRole(db.Model):
    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(20), primary_key=True)

    user: Mapped[User] = relationship(back_populates="roles")

    __table_args__ = (CheckConstraint(one_of("role", Role), name="role"),)


class ApiToken(db.Model):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    __table_args__ = (UniqueConstraint("user_id", "name"),)


class RecoveryCode(db.Model):
    """A one-time code that stands in for a TOTP code; only its SHA-256 is stored."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AccountLink(db.Model):
    """A single-use link to choose a password (an invitation or a forgotten password).

    Only the SHA-256 of the link's token is stored. A link is used up by one
    compare-and-swap UPDATE (accounts/links.py); a newer link of the same purpose revokes
    the user's older unused ones.
    """

    __tablename__ = "account_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         index=True)
    purpose: Mapped[str] = mapped_column(String(10))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    __table_args__ = (
        CheckConstraint(one_of("purpose", LinkPurpose), name="purpose"),
        CheckConstraint("expires_at > created_at", name="expiry"),
    )
