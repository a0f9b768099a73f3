"""Users, passwords, sessions and API tokens."""

from __future__ import annotations

import secrets
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _
from sqlalchemy import select

from duidingspool.accounts import passwords
from duidingspool.accounts.access import hash_token
from duidingspool.accounts.models import ApiToken, Role, User, UserRole
from duidingspool.audit.services import record
from duidingspool.db import utcnow
from duidingspool.errors import Conflict, NotFound, ValidationFailed
from duidingspool import signals
from duidingspool.extensions import db

MIN_PASSWORD_LENGTH = passwords.MIN_PASSWORD_LENGTH
_hasher = PasswordHasher()  # Argon2id with the library's current parameters
# Verified against when the e-mail is unknown, so that timing does not reveal accounts.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_policy(password: str, *, email: str | None = None, name: str | None = None,
                          field: str = "password") -> None:
    """Refuse passwords that are too short, common, or the user's e-mail address or name."""
    passwords.check(password, email=email, name=name, field=field)


def verify_password(user: User, password: str) -> bool:
    """True if `password` is the user's current password."""
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def get_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def create(*, actor: User | None, email: str, name: str, password: str, roles: list[Role],
           municipality_id: int | None = None) -> User:
    """Create a user with the given roles; a requester needs a municipality."""
    email = email.strip().lower()
    if not roles:
        raise ValidationFailed(_("Give the user at least one role."),
                               fields={"roles": [_("Choose at least one role.")]})
    if Role.REQUESTER in roles and municipality_id is None:
        raise ValidationFailed(
            _("A requester belongs to a municipality."),
            fields={"municipality_id": [_("Choose the requester's municipality.")]},
        )
    if get_by_email(email) is not None:
        raise ValidationFailed(_("This e-mail address is already in use."),
                               fields={"email": [_("Already in use.")]})
    check_password_policy(password, email=email, name=name)
    user = User(email=email, name=name.strip(), password_hash=hash_password(password),
                municipality_id=municipality_id,
                roles=[UserRole(role=Role(r).value) for r in sorted(set(roles))])
    db.session.add(user)
    db.session.flush()
    record(actor=actor, action="user.create", obj=user, details={"roles": sorted(set(roles))})
    return user


def set_password(*, actor: User | None, user: User, password: str, field: str = "password") -> None:
    """Replace the user's password after checking the policy; ends the user's sessions and
    revokes their calendar feeds."""
    check_password_policy(password, email=user.email, name=user.name, field=field)
    user.password_hash = hash_password(password)
    db.session.flush()
    record(actor=actor, action="user.password", obj=user)
    end_sessions(actor=actor, user=user, reason="password")
    signals.user_access_revoked.send(user, actor=actor, reason="password")


def change_password(*, actor: User, current_password: str, new_password: str,
                    confirmation: str) -> None:
    """The actor changes their own password; the current one is asked for again."""
    errors: dict[str, list[str]] = {}
    if not verify_password(actor, current_password):
        errors["current_password"] = [_("This is not your current password.")]
    elif new_password != confirmation:
        errors["new_password_confirm"] = [_("The two new passwords differ.")]
    elif new_password == current_password:
        errors["new_password"] = [_("Choose a password that differs from the current one.")]
    if errors:
        raise ValidationFailed(_("The password was not changed."), fields=errors)
    set_password(actor=actor, user=actor, password=new_password, field="new_password")


def end_sessions(*, actor: User | None, user: User, reason: str) -> None:
    """End every session of `user` at once: each carries the version it started with."""
    user.session_version = (user.session_version or 0) + 1
    db.session.flush()
    record(actor=actor, action="user.sessions_end", obj=user, details={"reason": reason})


def list_users() -> list[User]:
    """Every user account, by name (the admin's user list)."""
    return list(db.session.scalars(select(User).order_by(User.name, User.id)))


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("No such user."))
    return user


def deactivate(*, actor: User | None, user: User) -> None:
    """Disable the account: its sessions end, its calendar feeds and API tokens are revoked."""
    if actor is not None and actor.id == user.id:
        raise Conflict(_("You cannot deactivate your own account."))
    if not user.is_enabled:
        return
    user.is_enabled = False
    db.session.flush()
    record(actor=actor, action="user.deactivate", obj=user)
    end_sessions(actor=actor, user=user, reason="deactivate")
    signals.user_access_revoked.send(user, actor=actor, reason="deactivate")
    now = utcnow()
    for token in db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id,
                                                           ApiToken.revoked_at.is_(None))):
        token.revoked_at = now
        record(actor=actor, action="token.revoke", obj=token)
    db.session.flush()


def reactivate(*, actor: User | None, user: User) -> None:
    """Enable a deactivated account again (it logs in anew; old feeds and tokens stay revoked)."""
    if user.is_enabled:
        return
    user.is_enabled = True
    db.session.flush()
    record(actor=actor, action="user.reactivate", obj=user)


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
        raise ValidationFailed(_("This user already has a token with that name."),
                               fields={"name": [_("Already in use.")]})
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
        raise NotFound(_("No such token."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()
        record(actor=actor, action="token.revoke", obj=token)
    return token


def set_locale(*, actor: User, user: User, locale: str) -> None:
    """Remember the user's interface language (audited like every change)."""
    if user.locale == locale:
        return
    user.locale = locale
    db.session.flush()
    record(actor=actor, action="user.locale", obj=user, details={"locale": locale})
