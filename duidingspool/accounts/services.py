"""Users, passwords and API tokens."""

from __future__ import annotations

import secrets
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from duidingspool.accounts.access import hash_token
from duidingspool.accounts.models import ApiToken, Role, User, UserRole
from duidingspool.audit.services import record
from duidingspool.db import utcnow
from duidingspool.errors import NotFound, ValidationFailed
from duidingspool.extensions import db

MIN_PASSWORD_LENGTH = 12
_hasher = PasswordHasher()  # Argon2id with the library's current parameters
# Verified against when the e-mail is unknown, so that timing does not reveal accounts.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_policy(password: str) -> None:
    """Refuse passwords that are too short."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            str(_l("The password is too short.")),
            fields={"password": [str(_l("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH))]},
        )


def get_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def create(*, actor: User | None, email: str, name: str, password: str, roles: list[Role],
           municipality_id: int | None = None) -> User:
    """Create a user with the given roles; a requester needs a municipality."""
    email = email.strip().lower()
    if not roles:
        raise ValidationFailed(str(_l("Give the user at least one role.")),
                               fields={"roles": [str(_l("Choose at least one role."))]})
    if Role.REQUESTER in roles and municipality_id is None:
        raise ValidationFailed(
            str(_l("A requester belongs to a municipality.")),
            fields={"municipality_id": [str(_l("Choose the requester's municipality."))]},
        )
    if get_by_email(email) is not None:
        raise ValidationFailed(str(_l("This e-mail address is already in use.")),
                               fields={"email": [str(_l("Already in use."))]})
    check_password_policy(password)
    user = User(email=email, name=name.strip(), password_hash=hash_password(password),
                municipality_id=municipality_id,
                roles=[UserRole(role=Role(r).value) for r in sorted(set(roles))])
    db.session.add(user)
    db.session.flush()
    record(actor=actor, action="user.create", obj=user, details={"roles": sorted(set(roles))})
    return user


def set_password(*, actor: User | None, user: User, password: str) -> None:
    """Replace the user's password after checking the policy."""
    check_password_policy(password)
    user.password_hash = hash_password(password)
    db.session.flush()
    record(actor=actor, action="user.password", obj=user)


def authenticate(*, email: str, password: str) -> User | None:
    """The enabled user with this e-mail and password, or None; records the attempt."""
    user = get_by_email(email)
    try:
        if user is None:
            _hasher.verify(_DUMMY_HASH, password)
            ok = False
        else:
            ok = _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        ok = False
    if ok and user.is_enabled:
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        user.last_login_at = utcnow()
        record(actor=user, action="login.success", obj=user)
        return user
    record(actor=user, action="login.failure", object_type="user_account",
           object_id=user.id if user else None)
    return None


def create_token(*, actor: User | None, user: User, name: str,
                 expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """A new API token for `user`; the raw token is returned once and never stored."""
    taken = db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == user.id,
                                                        ApiToken.name == name))
    if taken is not None:
        raise ValidationFailed(str(_l("This user already has a token with that name.")),
                               fields={"name": [str(_l("Already in use."))]})
    raw = secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=hash_token(raw), expires_at=expires_at)
    db.session.add(token)
    db.session.flush()
    record(actor=actor, action="token.create", obj=token, details={"user_id": user.id})
    return token, raw


def revoke_token(*, actor: User | None, token_id: int) -> ApiToken:
    """Revoke an API token of the actor (or any token, for a CLI actor of None)."""
    token = db.session.get(ApiToken, token_id)
    if token is None or (actor is not None and token.user_id != actor.id
                         and not actor.has_role(Role.ADMIN)):
        raise NotFound(str(_l("No such token.")))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()
        record(actor=actor, action="token.revoke", obj=token)
    return token
