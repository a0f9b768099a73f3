"""Password policy, password change, ending sessions, deactivation and two-factor services."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from duidingspool.accounts import passwords, services, twofactor
from duidingspool.accounts.models import ApiToken, RecoveryCode, Role
from duidingspool.errors import Conflict, ValidationFailed
from duidingspool.extensions import db
from duidingspool.ical.models import CalendarFeed
from tests import factories as f
from tests.accounts.helpers import code, enable_two_factor, requester_with_feed


pytestmark = pytest.mark.usefixtures("english")


@pytest.mark.parametrize("password", [
    "wachtwoord123", "WelkomWelkom", "WELKOM2024!!!!", "qwertyuiop123", "Password1234",
    "CorrectHorseBatteryStaple", "123456789012", "aaaaaaaaaaaa", "Voetbal2025!!",
])
def test_password_policy_refuses_common_passwords_case_insensitively(password):
    with pytest.raises(ValidationFailed) as exc:
        passwords.check(password)

    assert exc.value.fields == {"password": [
        "This password is on a list of commonly used passwords; choose another one."]}


def test_password_policy_list_holds_ten_thousand_and_dutch_passwords():
    listed = passwords.common_passwords()

    assert len(listed) > 14000
    assert {"123456", "password", "welkom01", "wachtwoord123", "geheim"} <= listed


def test_password_policy_refuses_short_passwords():
    with pytest.raises(ValidationFailed) as exc:
        passwords.check("Kort-1")

    assert exc.value.fields == {"password": ["Use at least 12 characters."]}


@pytest.mark.parametrize("password", ["annemarie.jansen@example.org", "Annemarie.Jansen",
                                      "Annemarie Jansen-Bos", "annemariejansen-bos"])
def test_password_policy_refuses_the_users_email_or_name(password):
    with pytest.raises(ValidationFailed) as exc:
        passwords.check(password, email="annemarie.jansen@example.org",
                        name="Annemarie Jansen-Bos")

    assert exc.value.message == "The password must not be your e-mail address or name."


def test_password_policy_accepts_a_long_uncommon_password():
    passwords.check("paars-kanaal-fietsbel-7", email="a@example.org", name="A. Jansen")


def test_create_user_refuses_a_common_password_and_writes_nothing(app):
    with pytest.raises(ValidationFailed):
        services.create(actor=None, email="b@example.org", name="B. de Boer",
                        password="Wachtwoord123!", roles=[Role.ADMIN])

    assert services.get_by_email("b@example.org") is None


def test_change_password_needs_the_current_password(app):
    user, _url = requester_with_feed()
    old_hash, version = user.password_hash, user.session_version

    with pytest.raises(ValidationFailed) as exc:
        services.change_password(actor=user, current_password="not-my-password",
                                 new_password="paars-kanaal-fietsbel-7",
                                 confirmation="paars-kanaal-fietsbel-7")

    assert exc.value.fields == {"current_password": ["This is not your current password."]}
    assert (user.password_hash, user.session_version) == (old_hash, version)


def test_change_password_refuses_a_different_confirmation(app):
    user = f.user(Role.EXPERT)

    with pytest.raises(ValidationFailed) as exc:
        services.change_password(actor=user, current_password=f.PASSWORD,
                                 new_password="paars-kanaal-fietsbel-7",
                                 confirmation="paars-kanaal-fietsbel-8")

    assert list(exc.value.fields) == ["new_password_confirm"]


def test_change_password_ends_sessions_and_revokes_feeds(app):
    user, _url = requester_with_feed()

    services.change_password(actor=user, current_password=f.PASSWORD,
                             new_password="paars-kanaal-fietsbel-7",
                             confirmation="paars-kanaal-fietsbel-7")

    assert user.session_version == 1
    assert services.verify_password(user, "paars-kanaal-fietsbel-7")
    feeds = db.session.scalars(select(CalendarFeed).where(CalendarFeed.user_id == user.id)).all()
    assert [feed.revoked_at is not None for feed in feeds] == [True]


def test_deactivate_ends_sessions_and_revokes_feeds_and_tokens(app):
    admin = f.user(Role.ADMIN)
    user, _url = requester_with_feed()
    services.create_token(actor=None, user=user, name="client")

    services.deactivate(actor=admin, user=user)

    assert user.is_enabled is False and user.session_version == 1
    assert db.session.scalar(select(CalendarFeed.revoked_at)
                             .where(CalendarFeed.user_id == user.id)) is not None
    assert db.session.scalar(select(ApiToken.revoked_at)
                             .where(ApiToken.user_id == user.id)) is not None


def test_deactivate_refuses_the_admin_themself(app):
    admin = f.user(Role.ADMIN)

    with pytest.raises(Conflict):
        services.deactivate(actor=admin, user=admin)

    assert admin.is_enabled is True


def test_two_factor_secret_is_stored_encrypted_and_codes_as_hashes(app):
    user = f.user(Role.COORDINATOR)

    secret, codes = enable_two_factor(user)

    assert secret not in user.totp_secret
    assert twofactor._decrypt(user.totp_secret) == secret
    hashes = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(codes) == len(set(codes)) == len(hashes) == 10
    assert not set(codes) & set(hashes)
    assert all(code.replace("-", "") not in h for code in codes for h in hashes)


def test_two_factor_enable_needs_the_password_and_a_right_code(app):
    user = f.user(Role.EXPERT)
    secret = twofactor.pending_secret(user=user)

    with pytest.raises(ValidationFailed) as wrong_password:
        twofactor.enable(actor=user, password="not-my-password", code=code(secret))
    with pytest.raises(ValidationFailed) as wrong_code:
        twofactor.enable(actor=user, password=f.PASSWORD, code="000000"
                         if code(secret) != "000000" else "111111")

    assert list(wrong_password.value.fields) == ["password"]
    assert list(wrong_code.value.fields) == ["code"]
    assert user.totp_enabled is False


def test_two_factor_verify_accepts_a_code_once(app):
    user = f.user(Role.COORDINATOR)
    secret, _codes = enable_two_factor(user)
    next_code = code(secret, 1)

    assert twofactor.verify(user=user, code=next_code) is True
    assert twofactor.verify(user=user, code=next_code) is False


def test_two_factor_verify_refuses_a_wrong_code(app):
    user = f.user(Role.COORDINATOR)
    secret, _codes = enable_two_factor(user)
    wrong = "%06d" % ((int(code(secret, 1)) + 1) % 1_000_000)

    assert twofactor.verify(user=user, code=wrong) is False


def test_recovery_code_works_once(app):
    user = f.user(Role.COORDINATOR)
    _secret, codes = enable_two_factor(user)

    assert twofactor.verify(user=user, code=codes[0].upper()) is True
    assert twofactor.verify(user=user, code=codes[0]) is False
    assert twofactor.recovery_codes_left(user=user) == 9


def test_two_factor_cannot_be_turned_off_by_a_coordinator(app):
    user = f.user(Role.COORDINATOR)
    enable_two_factor(user)

    with pytest.raises(Conflict):
        twofactor.disable(actor=user, password=f.PASSWORD)

    assert user.totp_enabled is True


def test_two_factor_disable_needs_the_password(app):
    user = f.user(Role.EXPERT)
    enable_two_factor(user)

    with pytest.raises(ValidationFailed):
        twofactor.disable(actor=user, password="not-my-password")
    assert user.totp_enabled is True

    twofactor.disable(actor=user, password=f.PASSWORD)
    assert user.totp_enabled is False and user.totp_secret is None
    assert db.session.scalars(select(RecoveryCode)).all() == []


def test_new_recovery_codes_replace_the_old_ones(app):
    user = f.user(Role.EXPERT)
    _secret, old = enable_two_factor(user)

    new = twofactor.regenerate_recovery_codes(actor=user, password=f.PASSWORD)

    assert twofactor.verify(user=user, code=old[0]) is False
    assert twofactor.verify(user=user, code=new[0]) is True
