"""Users, their roles, passwords, sessions and API tokens.

Role changes follow two rules kept here, whoever asks (the admin's pages, the API, the
expert profile form):

- only administrators change roles and municipalities (the CLI, actor None, too);
- nobody changes their own roles: an administrator asks another administrator. So a
  coordinator cannot give their own account the expert role (an administrator can give it
  to them, recorded in the audit trail with both as actor and object), nobody raises their
  own rights, and an administrator never removes the last administrator (the actor always
  stays one). The same holds for deactivating and resetting two-factor login.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _
from sqlalchemy import select

from duidingspool.accounts import passwords, twofactor
from duidingspool.accounts.access import hash_token
from duidingspool.accounts.models import (UNUSABLE_PASSWORD_PREFIX, ApiToken, Role, User,
                                          UserRole)
from duidingspool.audit.services import record
from duidingspool.db import utcnow
from duidingspool.errors import Conflict, Forbidden, NotFound, ValidationFailed
from duidingspool import signals
from duidingspool.extensions import db
from duidingspool.schema_defaults import has_control_characters

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


class WrongPassword(ValidationFailed):
    """The password a logged-in user typed again is not theirs (see check_current_password);
    `purpose` names the change it was asked for."""

    def __init__(self, message, *, purpose: str, **kwargs):
        super().__init__(message, **kwargs)
        self.purpose = purpose


def check_current_password(*, actor: User, password: str, purpose: str,
                           field: str = "password") -> None:
    """Refuse (WrongPassword, at `field`) a password typed again that is not the actor's
    current one; `purpose` names the change it was asked for."""
    if verify_password(actor, password):
        return
    message = _("This is not your current password.")
    raise WrongPassword(message, purpose=purpose, fields={field: [message]})


def record_wrong_password(*, actor: User, purpose: str) -> None:
    """Record a wrong password typed again, after the refused change was undone (the
    change's own transaction is rolled back, this record is not)."""
    record(actor=actor, action="user.password_check_failure", obj=actor,
           details={"purpose": purpose})


def get_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def unusable_password_hash() -> str:
    """A password hash no password matches: an invited user has none until they choose it."""
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(16)


def municipality_names(ids: list[int] | None = None) -> dict[int, str]:
    """{id: name} of the municipalities (all, or those of `ids` that exist), by name."""
    return signals.ask(signals.municipalities_wanted, None, ids=ids)


def _roles_and_municipality(roles, municipality_id: int | None) -> tuple[list[str], int | None]:
    """The roles as sorted values and the municipality a requester needs (None for other
    users); refuses no role, unknown roles, and a requester without a known municipality."""
    try:
        values = sorted({Role(r).value for r in roles})
    except ValueError:
        raise ValidationFailed(_("Unknown role."),
                               fields={"roles": [_("Choose roles from the list.")]}) from None
    if not values:
        raise ValidationFailed(_("Give the user at least one role."),
                               fields={"roles": [_("Choose at least one role.")]})
    if Role.REQUESTER.value not in values:
        return values, None
    if municipality_id is None:
        raise ValidationFailed(
            _("A requester belongs to a municipality."),
            fields={"municipality_id": [_("Choose the requester's municipality.")]},
        )
    if not municipality_names([municipality_id]):
        raise ValidationFailed(
            _("A requester belongs to a municipality."),
            fields={"municipality_id": [_("Choose a municipality from the list.")]},
        )
    return values, municipality_id


def create(*, actor: User | None, email: str, name: str, password: str | None,
           roles: list[Role], municipality_id: int | None = None,
           locale: str | None = None) -> User:
    """Create a user with the given roles; a requester needs a municipality. Without a
    password the user has none until they choose one through an invitation link
    (accounts.links.create_and_invite)."""
    email = email.strip().lower()
    name = name.strip()
    if not name:
        raise ValidationFailed(_("Give the user's name."), fields={"name": [_("Enter a name.")]})
    if has_control_characters(name):  # also from the command line, which has no schema
        raise ValidationFailed(_("Use a single line without control characters."),
                               fields={"name": [_("Use a single line without control characters.")]})
    values, municipality_id = _roles_and_municipality(roles, municipality_id)
    if get_by_email(email) is not None:
        raise ValidationFailed(_("This e-mail address is already in use."),
                               fields={"email": [_("Already in use.")]})
    if password is not None:
        check_password_policy(password, email=email, name=name)
    user = User(email=email, name=name, locale=locale,
                password_hash=(hash_password(password) if password is not None
                               else unusable_password_hash()),
                municipality_id=municipality_id,
                roles=[UserRole(role=r) for r in values])
    db.session.add(user)
    db.session.flush()
    details = {"roles": values, "municipality_id": municipality_id}
    if password is None:
        details["invited"] = True
    record(actor=actor, action="user.create", obj=user, details=details)
    return user


def _require_admin(actor: User | None) -> None:
    if actor is not None and not actor.has_role(Role.ADMIN):
        raise Forbidden(_("Only an administrator changes roles."))


def _not_yourself(actor: User | None, user: User, message: str) -> None:
    if actor is not None and actor.id == user.id:
        raise Conflict(message)


def check_roles_change(*, actor: User | None, user: User, roles,
                       municipality_id: int | None) -> dict:
    """What `change_roles` would do, without doing it (the confirmation page shows it):
    {"old_roles", "new_roles", "old_municipality_id", "new_municipality_id", "changed"}.
    Raises what `change_roles` would refuse."""
    _require_admin(actor)
    _not_yourself(actor, user, _("You cannot change your own roles or municipality; ask "
                                 "another administrator."))
    values, municipality_id = _roles_and_municipality(roles, municipality_id)
    old = sorted(r.value for r in user.role_names)
    return {"old_roles": old, "new_roles": values,
            "old_municipality_id": user.municipality_id,
            "new_municipality_id": municipality_id,
            "changed": old != values or user.municipality_id != municipality_id}


def change_roles(*, actor: User | None, user: User, roles,
                 municipality_id: int | None) -> bool:
    """Give `user` these roles (and municipality, for a requester); an administrator only,
    never on their own account. Audited with the old and new values; True if it changed."""
    change = check_roles_change(actor=actor, user=user, roles=roles,
                                municipality_id=municipality_id)
    if not change["changed"]:
        return False
    kept = {r.role: r for r in user.roles}
    user.roles = [kept.get(r) or UserRole(role=r) for r in change["new_roles"]]
    user.municipality_id = change["new_municipality_id"]
    db.session.flush()
    record(actor=actor, action="user.roles", obj=user,
           details={key: change[key] for key in ("old_roles", "new_roles",
                                                 "old_municipality_id", "new_municipality_id")})
    return True


def grant_role(*, actor: User | None, user: User, role: Role) -> bool:
    """Add one role to `user` (the coordinator linking an expert profile to an existing
    account); never to the actor's own account, whatever the actor's roles. Audited; True if
    the user did not have it yet."""
    if user.has_role(role):
        return False
    _not_yourself(actor, user, _("You cannot give your own account a new role; an "
                                 "administrator can."))
    old = sorted(r.value for r in user.role_names)
    user.roles.append(UserRole(role=Role(role).value))
    db.session.flush()
    record(actor=actor, action="user.add_role", obj=user,
           details={"role": Role(role).value, "old_roles": old,
                    "new_roles": sorted(r.value for r in user.role_names)})
    return True


def reset_two_factor(*, actor: User | None, user: User) -> None:
    """An administrator turns off another user's two-factor login (lost phone and codes):
    every session of the user ends; a coordinator or admin sets it up at the next login."""
    _require_admin(actor)
    _not_yourself(actor, user, _("You cannot reset your own two-factor login; ask another "
                                 "administrator."))
    if not user.totp_enabled:
        raise Conflict(_("Two-factor login is not on for this user."))
    twofactor.reset(actor=actor, user=user)


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
    check_current_password(actor=actor, password=current_password, purpose="change_password",
                           field="current_password")
    errors: dict[str, list[str]] = {}
    if new_password != confirmation:
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
    _not_yourself(actor, user, _("You cannot deactivate your own account."))
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
