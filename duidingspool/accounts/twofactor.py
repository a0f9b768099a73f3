"""Two-factor login: TOTP (RFC 6238) with one-time recovery codes.

The TOTP secret is stored encrypted (Fernet, with a key derived from SECRET_KEY; a new
SECRET_KEY therefore means setting up two-factor login again) and is shown only while it is
being set up. Recovery codes are random (80 bits) and kept only as SHA-256 hashes; each
works once. A TOTP code is accepted once: the last used time step is kept.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from datetime import datetime, timezone

import pyotp
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update

from duidingspool.accounts.access import hash_token
from duidingspool.accounts.models import RecoveryCode, User
from duidingspool.audit.services import record
from duidingspool.db import utcnow
from duidingspool.errors import Conflict, ValidationFailed
from duidingspool.extensions import db

ISSUER = "Duidingspool"
RECOVERY_CODE_COUNT = 10
# A code from the previous or next 30-second step is accepted (clock drift).
VALID_WINDOW = 1
_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no look-alikes (0/o, 1/l/i)
_CODE_LENGTH = 16  # 16 characters of 31: over 79 bits


def _fernet() -> Fernet:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    key = hashlib.sha256(b"duidingspool.totp-secret:" + secret).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def _encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def _decrypt(token: str) -> str | None:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        return None


def _normalise_code(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _hash_recovery_code(code: str) -> str:
    return hash_token(_normalise_code(code))


def pending_secret(*, user: User) -> str:
    """The secret being set up for `user` (a new one if none is pending); shown on the
    setup page only, never once two-factor login is on."""
    if user.totp_enabled:
        raise Conflict(_("Two-factor login is already on."))
    secret = _decrypt(user.totp_secret) if user.totp_secret else None
    if secret is None:
        secret = pyotp.random_base32()
        user.totp_secret = _encrypt(secret)
        db.session.flush()
    return secret


def provisioning_uri(*, user: User, secret: str) -> str:
    """The otpauth:// URI an authenticator app reads (as text or as a QR code)."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def _accept_totp(user: User, secret: str, code: str, now: float) -> bool:
    """Check a 6-digit code in the window around `now`; refuse a step used before."""
    code = _normalise_code(code)
    if len(code) != 6 or not code.isdigit():
        return False
    totp = pyotp.TOTP(secret)
    step_now = totp.timecode(_as_datetime(now))
    for offset in range(-VALID_WINDOW, VALID_WINDOW + 1):
        step = step_now + offset
        if secrets.compare_digest(totp.generate_otp(step), code):
            return _use_step(user, step)
    return False


def _use_step(user: User, step: int) -> bool:
    """Record `step` as the user's last used time step, if it is later than the one stored:
    one compare-and-swap UPDATE, so of parallel logins with the same code exactly one wins
    (a replayed code, or one older than a code already used, is refused)."""
    swapped = db.session.execute(
        update(User)
        .where(User.id == user.id,
               (User.totp_last_step.is_(None)) | (User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)).rowcount == 1
    # The stored value, whoever wrote it (no flush of our own copy over theirs).
    db.session.expire(user, ["totp_last_step"])
    return swapped


def _as_datetime(now: float) -> datetime:
    return datetime.fromtimestamp(now, tz=timezone.utc)


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))
             for _ in range(RECOVERY_CODE_COUNT)]
    for code in codes:
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_hash_recovery_code(code)))
    db.session.flush()
    return [f"{c[:4]}-{c[4:8]}-{c[8:12]}-{c[12:]}" for c in codes]


def _check_password(user: User, password: str, purpose: str) -> None:
    from duidingspool.accounts.services import check_current_password

    check_current_password(actor=user, password=password, purpose=purpose)


def enable(*, actor: User, password: str, code: str, now: float | None = None) -> list[str]:
    """Turn on two-factor login for the actor after checking their password and a code from
    their app; returns the recovery codes (shown once)."""
    _check_password(actor, password, "two_factor_enable")
    if actor.totp_enabled:
        raise Conflict(_("Two-factor login is already on."))
    secret = _decrypt(actor.totp_secret) if actor.totp_secret else None
    if secret is None or not _accept_totp(actor, secret, code, time.time() if now is None else now):
        raise ValidationFailed(_("The code is not correct."),
                               fields={"code": [_("Enter the current 6-digit code from "
                                                       "your authenticator app.")]})
    actor.totp_enabled_at = utcnow()
    codes = _new_recovery_codes(actor)
    record(actor=actor, action="user.two_factor_enable", obj=actor)
    return codes


def disable(*, actor: User, password: str) -> None:
    """Turn off two-factor login (not allowed for roles that require it)."""
    _check_password(actor, password, "two_factor_disable")
    if actor.requires_two_factor:
        raise Conflict(_("Your role requires two-factor login; it cannot be turned off."))
    if not actor.totp_enabled:
        return
    _clear(actor)
    record(actor=actor, action="user.two_factor_disable", obj=actor)


def _clear(user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.flush()


def reset(*, actor: User | None, user: User) -> None:
    """An administrator's reset (lost phone and codes): two-factor login off and every
    session ended; a coordinator or admin must set it up again at the next login."""
    from duidingspool.accounts.services import end_sessions

    _clear(user)
    record(actor=actor, action="user.two_factor_reset", obj=user)
    end_sessions(actor=actor, user=user, reason="two_factor_reset")


def regenerate_recovery_codes(*, actor: User, password: str) -> list[str]:
    """New recovery codes for the actor (the old ones stop working); shown once."""
    _check_password(actor, password, "recovery_codes")
    if not actor.totp_enabled:
        raise Conflict(_("Two-factor login is off."))
    codes = _new_recovery_codes(actor)
    record(actor=actor, action="user.recovery_codes_renew", obj=actor)
    return codes


def verify(*, user: User, code: str, now: float | None = None) -> bool:
    """Check a login's second factor: a TOTP code or an unused recovery code (used up
    here). Records the outcome."""
    ok = False
    method = None
    secret = _decrypt(user.totp_secret) if user.totp_enabled and user.totp_secret else None
    if secret is not None and _accept_totp(user, secret, code, time.time() if now is None else now):
        ok, method = True, "totp"
    elif user.totp_enabled and len(_normalise_code(code)) == _CODE_LENGTH:
        # One statement: two requests racing with the same code cannot both use it.
        used = db.session.execute(
            update(RecoveryCode)
            .where(RecoveryCode.user_id == user.id,
                   RecoveryCode.code_hash == _hash_recovery_code(code),
                   RecoveryCode.used_at.is_(None))
            .values(used_at=utcnow())
            .execution_options(synchronize_session=False))
        if used.rowcount == 1:
            ok, method = True, "recovery_code"
    db.session.flush()
    if ok:
        record(actor=user, action="login.two_factor_success", obj=user, details={"method": method})
    else:
        record(actor=user, action="login.two_factor_failure", obj=user)
    return ok


def recovery_codes_left(*, user: User) -> int:
    """How many unused recovery codes the user has."""
    return db.session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)))
