"""Single-use links to choose a password: the invitation of a new user (valid 72 hours) and
the forgotten-password link (valid 1 hour).

Only the SHA-256 of a link's token is stored (`AccountLink`); the token itself goes, through
the `account_link_issued` signal, into the e-mail that mail queues (marked sensitive) and
nowhere else. A link is used up by one compare-and-swap UPDATE whose row count decides: of
two uses at once exactly one wins. A newer link of the same purpose revokes the user's older
unused ones; using a link revokes all others, sets the password under the password policy,
ends every session of the user and revokes their calendar feeds.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from duidingspool import signals
from duidingspool.accounts import services
from duidingspool.accounts.access import hash_token
from duidingspool.accounts.models import AccountLink, LinkPurpose, Role, User
from duidingspool.audit.services import record
from duidingspool.db import utcnow
from duidingspool.errors import Conflict, NotFound, ValidationFailed
from duidingspool.extensions import db

_LIFETIME_SETTINGS = {LinkPurpose.INVITE: "INVITATION_LINK_HOURS",
                      LinkPurpose.RESET: "PASSWORD_RESET_LINK_HOURS"}
# Tokens longer than this are not looked up (a real one has 43 characters).
MAX_TOKEN_LENGTH = 100


def lifetime(purpose: LinkPurpose) -> timedelta:
    """How long a new link of `purpose` stays valid (INVITATION_LINK_HOURS: 72,
    PASSWORD_RESET_LINK_HOURS: 1)."""
    return timedelta(hours=float(current_app.config[_LIFETIME_SETTINGS[purpose]]))


def invalid_link() -> NotFound:
    """The one answer for a link that is unknown, used, revoked or expired."""
    return NotFound(_("This link can no longer be used: it has been used already, it has "
                      "expired or a newer link replaced it. Ask for a new link below."))


def _revoke_open(*, user_id: int, now: datetime, purposes=None, keep_id: int | None = None):
    query = (update(AccountLink)
             .where(AccountLink.user_id == user_id, AccountLink.used_at.is_(None),
                    AccountLink.revoked_at.is_(None))
             .values(revoked_at=now).execution_options(synchronize_session=False))
    if purposes is not None:
        query = query.where(AccountLink.purpose.in_([str(p) for p in purposes]))
    if keep_id is not None:
        query = query.where(AccountLink.id != keep_id)
    db.session.execute(query)


def issue(*, actor: User | None, user: User, purpose: LinkPurpose,
          now: datetime | None = None) -> AccountLink:
    """A new link for `user` (older unused ones of the same purpose stop working), sent to
    the user by e-mail through the `account_link_issued` signal. Audited."""
    now = now or utcnow()
    purpose = LinkPurpose(purpose)
    _revoke_open(user_id=user.id, now=now, purposes=[purpose])
    token = secrets.token_urlsafe(32)
    link = AccountLink(user_id=user.id, purpose=purpose.value, token_hash=hash_token(token),
                       created_at=now, expires_at=now + lifetime(purpose))
    db.session.add(link)
    db.session.flush()
    record(actor=actor, action="user.link_issue", obj=user,
           details={"purpose": purpose.value, "link_id": link.id})
    signals.account_link_issued.send(user, purpose=purpose.value, token=token,
                                     expires_at=link.expires_at)
    return link


def create_and_invite(*, actor: User | None, email: str, name: str, roles: list[Role],
                      municipality_id: int | None = None, locale: str | None = None,
                      now: datetime | None = None) -> User:
    """Create a user without a password and send them an invitation link (72 hours) to
    choose one. Both are audited."""
    user = services.create(actor=actor, email=email, name=name, password=None, roles=roles,
                           municipality_id=municipality_id, locale=locale)
    issue(actor=actor, user=user, purpose=LinkPurpose.INVITE, now=now)
    return user


def reinvite(*, actor: User | None, user: User, now: datetime | None = None) -> AccountLink:
    """Send a new invitation to a user who has not chosen a password yet (the old link stops
    working)."""
    if user.has_password:
        raise Conflict(_("%(name)s has chosen a password already; they can use \"Forgot "
                         "your password?\" on the login page.", name=user.name))
    if not user.is_enabled:
        raise Conflict(_("%(name)s is deactivated; reactivate the account first.",
                         name=user.name))
    return issue(actor=actor, user=user, purpose=LinkPurpose.INVITE, now=now)


def request_reset(*, email: str, now: datetime | None = None) -> None:
    """Send a forgotten-password link (1 hour) if `email` belongs to an active user; the same
    outcome, for the caller, whether or not it does."""
    user = services.get_by_email(email) if email else None
    if user is None or not user.is_enabled:
        # The same kind of work as for a known address (a token and its hash), so that the
        # answer does not come noticeably sooner; the view also pads the answer time.
        hash_token(secrets.token_urlsafe(32))
        return
    issue(actor=None, user=user, purpose=LinkPurpose.RESET, now=now)


def find(token: str, *, now: datetime | None = None) -> AccountLink | None:
    """The link of `token` if it can still be used: unused, not revoked, not expired, and its
    user active. Uses nothing up."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    now = now or utcnow()
    link = db.session.scalar(select(AccountLink).where(
        AccountLink.token_hash == hash_token(token)))
    if (link is None or link.used_at is not None or link.revoked_at is not None
            or link.expires_at <= now or not link.user.is_enabled):
        return None
    return link


def use(*, token: str, password: str, confirmation: str,
        now: datetime | None = None) -> User:
    """Choose a password with a link: the link is used up (once: a compare-and-swap), every
    other link of the user revoked, the password set under the policy, every session of the
    user ended and their calendar feeds revoked. Raises NotFound for a link that cannot be
    used, ValidationFailed for a password that is refused (the link stays usable)."""
    now = now or utcnow()
    link = find(token, now=now)
    if link is None:
        raise invalid_link()
    user = link.user
    if password != confirmation:
        raise ValidationFailed(_("The password was not set."),
                               fields={"password_confirm": [_("The two passwords differ.")]})
    services.check_password_policy(password, email=user.email, name=user.name)
    purpose, link_id = link.purpose, link.id
    claimed = db.session.execute(
        update(AccountLink)
        .where(AccountLink.id == link.id, AccountLink.used_at.is_(None),
               AccountLink.revoked_at.is_(None), AccountLink.expires_at > now)
        .values(used_at=now).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        raise invalid_link()  # another use of the same link won
    _revoke_open(user_id=user.id, now=now, keep_id=link_id)
    db.session.expire(link)
    record(actor=user, action="user.link_use", obj=user,
           details={"purpose": purpose, "link_id": link_id})
    services.set_password(actor=user, user=user, password=password)
    return user
