"""The password policy: long enough, not a common password, not the user's e-mail or name."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from flask_babel import gettext as _

from duidingspool.errors import ValidationFailed

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # Argon2 takes any length; this only bounds the work per attempt
_LIST = Path(__file__).with_name("common_passwords.txt")
# "Welkom2024!!" is "welkom" with a suffix that adds next to nothing.
_TRAILING = re.compile(r"[\d\W_]+$")
_MIN_BASE_LENGTH = 4


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lower case."""
    with _LIST.open(encoding="utf-8") as fh:
        return frozenset(line.strip() for line in fh if line.strip() and not line.startswith("#"))


def is_common(password: str) -> bool:
    """True for a listed password, compared case-insensitively, also without a suffix of
    digits and punctuation ("Wachtwoord123!" counts as "wachtwoord")."""
    lowered = password.strip().lower()
    listed = common_passwords()
    if lowered in listed:
        return True
    base = _TRAILING.sub("", lowered)
    return len(base) >= _MIN_BASE_LENGTH and base in listed


def _personal(password: str, email: str | None, name: str | None) -> bool:
    lowered = password.strip().lower()
    candidates = set()
    if email:
        email = email.strip().lower()
        candidates |= {email, email.split("@", 1)[0]}
    if name:
        name = name.strip().lower()
        candidates |= {name, name.replace(" ", "")}
    candidates.discard("")
    return lowered in candidates or _TRAILING.sub("", lowered) in candidates


def check(password: str, *, email: str | None = None, name: str | None = None,
          field: str = "password") -> None:
    """Raise ValidationFailed (on `field`) when the password does not meet the policy."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            _("The password is too short."),
            fields={field: [_("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)]},
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationFailed(
            _("The password is too long."),
            fields={field: [_("Use at most %(n)d characters.", n=MAX_PASSWORD_LENGTH)]},
        )
    if is_common(password):
        raise ValidationFailed(
            _("This password is too common."),
            fields={field: [_("This password is on a list of commonly used passwords; "
                                   "choose another one.")]},
        )
    if _personal(password, email, name):
        raise ValidationFailed(
            _("The password must not be your e-mail address or name."),
            fields={field: [_("Do not use your e-mail address or name as the password.")]},
        )
