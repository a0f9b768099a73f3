"""Two-factor login, login rate limits, idle expiry, ending sessions server-side,
re-authentication, security headers and cookie flags, through the web pages."""

from __future__ import annotations

import time

import pytest
from flask_babel import force_locale
from flask_login.utils import encode_cookie
from sqlalchemy import select

from duidingspool import create_app
from duidingspool.accounts import sessions, throttle
from duidingspool.accounts.models import Role, User
from duidingspool.audit.models import AuditEvent
from duidingspool.extensions import db
from tests import factories as f
from tests.accounts.helpers import (code, enable_two_factor, password_login,
                                    recovery_codes_on_page, requester_with_feed, secret_on_page)

NEW_PASSWORD = "paars-kanaal-fietsbel-7"


pytestmark = pytest.mark.usefixtures("english")


def _text(response) -> str:
    return response.get_data(as_text=True)


# --- two-factor login -------------------------------------------------------------------------

def test_coordinator_without_two_factor_is_sent_to_set_it_up_and_gets_nothing_else(client, app):
    user = f.user(Role.COORDINATOR, locale="en")
    db.session.commit()
    password_login(client, user)

    for url in ("/", "/dashboard", "/verzoeken/inbox", "/account/security", "/beheer/"):
        response = client.get(url)
        assert (response.status_code, response.headers["Location"]) == \
            (302, "/account/two-factor/setup"), url
    api = client.get("/api/v1/requests")
    assert api.status_code == 401
    assert api.get_json()["error"]["code"] == "two_factor_required"
    page = client.get("/account/two-factor/setup")
    assert page.status_code == 200
    assert "Your role requires two-factor login" in _text(page)
    assert client.post("/language", data={"locale": "nl", "next": "/"}).status_code == 302
    assert client.post("/logout").headers["Location"] == "/login"


def test_admin_sets_up_two_factor_and_then_reaches_pages(client, app):
    user = f.user(Role.ADMIN, locale="en")
    db.session.commit()
    password_login(client, user)
    page = _text(client.get("/account/two-factor/setup"))
    secret = secret_on_page(page)
    assert "otpauth://totp/Duidingspool:" in page and 'src="data:image/svg+xml' in page

    wrong = client.post("/account/two-factor/setup",
                        data={"password": f.PASSWORD, "code": "12345x"})
    assert wrong.status_code == 422
    no_password = client.post("/account/two-factor/setup",
                              data={"password": "not-it", "code": code(secret)})
    assert no_password.status_code == 422
    assert "This is not your current password." in _text(no_password)
    done = client.post("/account/two-factor/setup",
                       data={"password": f.PASSWORD, "code": code(secret)})

    assert done.status_code == 200
    assert len(recovery_codes_on_page(_text(done))) == 10
    assert client.get("/beheer/").status_code == 200
    db.session.expire_all()
    assert db.session.get(User, user.id).totp_enabled
    # The key is never shown again.
    assert client.get("/account/two-factor/setup").headers["Location"] == "/account/security"
    assert secret not in _text(client.get("/account/security"))


def test_login_with_two_factor_needs_a_right_code(client, app):
    user = f.user(Role.COORDINATOR, locale="en")
    db.session.commit()
    secret, _codes = enable_two_factor(user)

    response = password_login(client, user, query_string={"next": "/verzoeken/inbox"})
    assert response.headers["Location"] == "/login/code"
    assert client.get("/verzoeken/inbox").headers["Location"] == "/login/code"
    wrong = "%06d" % ((int(code(secret, 1)) + 1) % 1_000_000)
    refused = client.post("/login/code", data={"code": wrong})
    assert refused.status_code == 401
    assert "The code is not correct." in _text(refused)
    accepted = client.post("/login/code", data={"code": code(secret, 1)})

    assert accepted.headers["Location"] == "/verzoeken/inbox"
    assert client.get("/verzoeken/inbox").status_code == 200
    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.action.like("login.two_factor%")).order_by(AuditEvent.id)).all()
    assert actions == ["login.two_factor_failure", "login.two_factor_success"]


def test_used_recovery_code_is_refused_at_the_next_login(app):
    user = f.user(Role.ADMIN, locale="en")
    db.session.commit()
    _secret, codes = enable_two_factor(user)
    first, second = app.test_client(), app.test_client()

    password_login(first, user)
    assert first.post("/login/code", data={"code": codes[3]}).status_code == 302
    password_login(second, user)
    reused = second.post("/login/code", data={"code": codes[3]})

    assert reused.status_code == 401
    assert second.get("/beheer/").headers["Location"] == "/login/code"


def test_requester_may_turn_two_factor_on_and_is_then_asked_for_it(client, app):
    user = f.user(Role.REQUESTER, locale="en")
    db.session.commit()
    password_login(client, user)
    assert client.get("/verzoeken/").status_code == 200
    secret = secret_on_page(_text(client.get("/account/two-factor/setup")))
    client.post("/account/two-factor/setup", data={"password": f.PASSWORD, "code": code(secret)})
    client.post("/logout")

    assert password_login(client, user).headers["Location"] == "/login/code"
    assert client.get("/verzoeken/").headers["Location"] == "/login/code"


def test_turning_two_factor_off_asks_for_the_password(login_as, app):
    user = f.user(Role.EXPERT, locale="en")
    db.session.commit()
    enable_two_factor(user)
    client = login_as(user)

    refused = client.post("/account/two-factor/disable", data={"password": "not-it"})
    assert refused.status_code == 422
    db.session.expire_all()
    assert db.session.get(User, user.id).totp_enabled
    assert client.post("/account/two-factor/disable",
                       data={"password": f.PASSWORD}).status_code == 302
    db.session.expire_all()
    assert not db.session.get(User, user.id).totp_enabled


def test_new_recovery_codes_ask_for_the_password(login_as, app):
    user = f.user(Role.COORDINATOR, locale="en")
    db.session.commit()
    enable_two_factor(user)
    client = login_as(user)

    refused = client.post("/account/two-factor/recovery-codes", data={"password": "not-it"})
    shown = client.post("/account/two-factor/recovery-codes", data={"password": f.PASSWORD})

    assert refused.status_code == 422 and 'id="recovery-codes"' not in _text(refused)
    assert shown.status_code == 200 and len(recovery_codes_on_page(_text(shown))) == 10


def test_coordinator_cannot_turn_two_factor_off(login_as, app):
    user = f.user(Role.COORDINATOR, locale="en")
    db.session.commit()
    enable_two_factor(user)

    response = login_as(user).post("/account/two-factor/disable", data={"password": f.PASSWORD})

    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.get(User, user.id).totp_enabled


# --- rate limits ------------------------------------------------------------------------------

def test_login_is_refused_with_429_after_five_failures_for_one_account(client, app):
    user = f.user(Role.REQUESTER, locale="en")
    db.session.commit()

    statuses = [password_login(client, user, "wrong-password-123").status_code for _ in range(5)]
    blocked = password_login(client, user)  # even the right password

    assert statuses == [401] * 5
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert "Too many failed attempts" in _text(blocked)
    assert client.get("/verzoeken/").status_code == 302
    # Another account from another address is not affected.
    other = f.user(Role.REQUESTER, locale="en")
    db.session.commit()
    assert password_login(app.test_client(), other,
                          environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 302


def test_login_is_refused_with_429_after_twenty_failures_from_one_address(app):
    client = app.test_client()
    address = {"REMOTE_ADDR": "192.0.2.7"}
    for n in range(20):
        response = client.post("/login", data={"email": f"guess{n}@example.org",
                                               "password": "wrong-password-123"},
                               environ_base=address)
        assert response.status_code == 401
    user = f.user(Role.REQUESTER, locale="en")
    db.session.commit()

    blocked = password_login(client, user, environ_base=address)
    elsewhere = password_login(app.test_client(), user, environ_base={"REMOTE_ADDR": "192.0.2.8"})

    assert blocked.status_code == 429
    assert "Too many failed attempts" in _text(blocked)
    assert elsewhere.status_code == 302


def test_login_limits_come_from_the_configuration(client, app):
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = "2 per 1 hour"
    user = f.user(Role.REQUESTER, locale="en")
    db.session.commit()

    statuses = [password_login(client, user, "wrong-password-123").status_code for _ in range(3)]

    assert statuses == [401, 401, 429]


def test_rate_limit_message_is_dutch_for_dutch_users(client, app):
    user = f.user(Role.REQUESTER)
    db.session.commit()
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = "1 per 1 hour"
    password_login(client, user, "wrong-password-123")

    with force_locale("nl"):
        blocked = password_login(client, user)

    assert blocked.status_code == 429
    assert "Inloggen" in _text(blocked)


def test_two_factor_code_form_is_rate_limited(client, app):
    user = f.user(Role.COORDINATOR, locale="en")
    db.session.commit()
    secret, _codes = enable_two_factor(user)
    password_login(client, user)
    wrong = "%06d" % ((int(code(secret, 1)) + 1) % 1_000_000)

    statuses = [client.post("/login/code", data={"code": wrong}).status_code for _ in range(5)]
    blocked = client.post("/login/code", data={"code": code(secret, 1)})

    assert statuses == [401] * 5
    assert blocked.status_code == 429
    assert "Too many failed attempts" in _text(blocked)
    assert client.get("/verzoeken/inbox").headers["Location"] == "/login/code"


def test_rate_limit_counts_can_be_reset(client, app):
    user = f.user(Role.REQUESTER, locale="en")
    db.session.commit()
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = "1 per 1 hour"
    password_login(client, user, "wrong-password-123")
    assert password_login(client, user).status_code == 429

    throttle.reset()

    assert password_login(client, user).status_code == 302


# --- idle expiry ------------------------------------------------------------------------------

def test_idle_session_is_logged_out_with_a_message(login_as, app):
    user = f.user(Role.REQUESTER, locale="en")
    db.session.commit()
    client = login_as(user)
    with client.session_transaction() as session:
        session[sessions.SEEN_KEY] = int(time.time()) - 31 * 60

    response = client.get("/verzoeken/")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert "Your session has expired; log in again." in _text(client.get("/login"))
    assert client.get("/verzoeken/").status_code == 302


def test_session_within_the_idle_time_stays_and_is_renewed(login_as, app):
    user = f.user(Role.REQUESTER, locale="en")
    db.session.commit()
    client = login_as(user)
    with client.session_transaction() as session:
        session[sessions.SEEN_KEY] = int(time.time()) - 29 * 60

    assert client.get("/verzoeken/").status_code == 200
    with client.session_transaction() as session:
        assert time.time() - session[sessions.SEEN_KEY] < 60


def test_idle_time_comes_from_the_configuration(login_as, app):
    app.config["SESSION_IDLE_MINUTES"] = 5
    user = f.user(Role.REQUESTER, locale="en")
    db.session.commit()
    client = login_as(user)
    with client.session_transaction() as session:
        session[sessions.SEEN_KEY] = int(time.time()) - 6 * 60

    assert client.get("/verzoeken/").status_code == 302


# --- ending sessions server-side --------------------------------------------------------------

def _two_clients_logged_in(app, user):
    first, second = app.test_client(), app.test_client()
    for client in (first, second):
        assert password_login(client, user).status_code == 302
        assert client.get("/verzoeken/").status_code == 200
    return first, second


def test_logout_ends_the_users_other_sessions(app):
    user, _feed = requester_with_feed()
    first, second = _two_clients_logged_in(app, user)

    first.post("/logout")

    assert first.get("/verzoeken/").status_code == 302
    assert second.get("/verzoeken/").headers["Location"].startswith("/login")
    assert "You have been logged out. Log in again." in _text(second.get("/login"))


def test_password_change_ends_other_sessions_and_feeds_but_keeps_this_one(app, client):
    user, feed_url = requester_with_feed()
    assert client.get(feed_url).status_code == 200
    first, second = _two_clients_logged_in(app, user)

    response = first.post("/account/password", data={
        "current_password": f.PASSWORD, "new_password": NEW_PASSWORD,
        "new_password_confirm": NEW_PASSWORD})

    assert response.headers["Location"] == "/account/security"
    assert first.get("/verzoeken/").status_code == 200
    assert second.get("/verzoeken/").headers["Location"].startswith("/login")
    assert client.get(feed_url).status_code == 404
    assert password_login(app.test_client(), user, NEW_PASSWORD).status_code == 302


def test_password_change_asks_for_the_current_password(app, login_as):
    user, feed_url = requester_with_feed()
    client = login_as(user)

    response = client.post("/account/password", data={
        "current_password": "not-my-password", "new_password": NEW_PASSWORD,
        "new_password_confirm": NEW_PASSWORD})

    assert response.status_code == 422
    assert "This is not your current password." in _text(response)
    assert app.test_client().get(feed_url).status_code == 200
    assert password_login(app.test_client(), user).status_code == 302


def test_password_change_refuses_a_common_password(app, login_as):
    user = f.user(Role.EXPERT, locale="en")
    db.session.commit()

    response = login_as(user).post("/account/password", data={
        "current_password": f.PASSWORD, "new_password": "Wachtwoord123!",
        "new_password_confirm": "Wachtwoord123!"})

    assert response.status_code == 422
    assert "commonly used passwords" in _text(response)
    assert 'id="new_password-errors"' in _text(response)


def test_admin_deactivation_ends_sessions_and_feeds(app, client):
    user, feed_url = requester_with_feed()
    admin = f.user(Role.ADMIN, locale="en")
    db.session.commit()
    [victim_client] = _two_clients_logged_in(app, user)[:1]
    admin_client = app.test_client()
    with admin_client.session_transaction() as session:
        session["_user_id"] = str(admin.id)
        sessions.stamp(session, admin, second_factor=True)

    listing = admin_client.get("/beheer/gebruikers")
    response = admin_client.post(f"/beheer/gebruikers/{user.id}/deactiveren",
                                 data={"confirm": "yes"})

    assert listing.status_code == 200 and user.email in _text(listing)
    assert response.headers["Location"] == f"/beheer/gebruikers/{user.id}"
    assert victim_client.get("/verzoeken/").status_code == 302
    assert client.get(feed_url).status_code == 404
    assert password_login(app.test_client(), user).status_code == 401


def test_users_page_is_for_admins_only(login_as, app):
    coordinator = f.user(Role.COORDINATOR, locale="en")
    db.session.commit()

    assert login_as(coordinator).get("/beheer/gebruikers").status_code == 403


def test_cli_deactivation_ends_sessions_and_feeds(app, runner, client):
    user, feed_url = requester_with_feed()
    [victim_client] = _two_clients_logged_in(app, user)[:1]

    result = runner.invoke(args=["users", "deactivate", "--email", user.email])

    assert result.exit_code == 0, result.output
    assert victim_client.get("/verzoeken/").status_code == 302
    assert client.get(feed_url).status_code == 404


def test_cli_two_factor_reset_sends_the_coordinator_to_setup_again(app, runner, client):
    user = f.user(Role.COORDINATOR, locale="en")
    db.session.commit()
    enable_two_factor(user)

    result = runner.invoke(args=["users", "reset-two-factor", "--email", user.email])

    assert result.exit_code == 0, result.output
    assert password_login(client, user).headers["Location"] == "/account/two-factor/setup"


def test_remember_cookie_does_not_log_in(app, client):
    user = f.user(Role.REQUESTER, locale="en")
    db.session.commit()
    client.set_cookie(app.config.get("REMEMBER_COOKIE_NAME", "remember_token"),
                      encode_cookie(str(user.id)))

    assert client.get("/verzoeken/").status_code == 302


# --- headers and cookies ----------------------------------------------------------------------

def test_security_headers_on_pages(login_as, app):
    user = f.user(Role.REQUESTER, locale="en")
    db.session.commit()

    response = login_as(user).get("/verzoeken/")

    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_only_over_https(client, app):
    plain = client.get("/login")
    secure = client.get("/login", base_url="https://localhost")

    assert "Strict-Transport-Security" not in plain.headers
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_session_cookie_flags_in_development_and_tests(client, app):
    user = f.user(Role.REQUESTER, locale="en")
    db.session.commit()

    cookie = password_login(client, user).headers["Set-Cookie"]

    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert app.config["REMEMBER_COOKIE_HTTPONLY"] is True
    assert app.config["REMEMBER_COOKIE_SAMESITE"] == "Lax"


def test_session_cookie_is_secure_in_production(migrated, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "p" * 32)
    prod = create_app("production", SQLALCHEMY_DATABASE_URI=migrated, SERVER_NAME="localhost")

    # The login form puts its CSRF token in the session, so the page sets the cookie.
    response = prod.test_client().get("/login", base_url="https://localhost")

    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("duidingspool_session=")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert prod.config["REMEMBER_COOKIE_SECURE"] is True
    assert prod.config["REMEMBER_COOKIE_HTTPONLY"] is True
    assert prod.config["REMEMBER_COOKIE_SAMESITE"] == "Lax"


def test_behind_a_trusted_proxy_the_forwarded_address_and_scheme_count(migrated, app):
    proxied = create_app("testing", SQLALCHEMY_DATABASE_URI=migrated, TRUSTED_PROXIES=1,
                         LOGIN_LIMIT_PER_ADDRESS="2 per 1 hour")
    client = proxied.test_client()
    user = f.user(Role.REQUESTER, locale="en")
    db.session.commit()

    def attempt(address, password="wrong-password-123"):
        return client.post("/login", data={"email": user.email, "password": password},
                           headers={"X-Forwarded-For": address, "X-Forwarded-Proto": "https"})

    statuses = [attempt("198.51.100.1").status_code for _ in range(3)]
    other = attempt("198.51.100.2", f.PASSWORD)

    assert statuses == [401, 401, 429]
    assert other.status_code == 302
    assert other.headers["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.parametrize("target", ["/\\evil.example/x", "//evil.example", "https://evil.example",
                                    "/\tevil"])
def test_login_does_not_follow_next_urls_to_other_sites(client, app, target):
    user = f.user(Role.REQUESTER, locale="en")
    db.session.commit()

    response = password_login(client, user, query_string={"next": target})

    assert response.headers["Location"] == "/"


# --- absolute session lifetime ---------------------------------------------------------------

def test_active_session_ends_after_its_absolute_lifetime(login_as, app):
    user = f.user(Role.REQUESTER, locale="en")
    db.session.commit()
    client = login_as(user)
    with client.session_transaction() as session:
        session[sessions.BORN_KEY] = int(time.time()) - 12 * 3600 - 60  # active a minute ago
        session[sessions.SEEN_KEY] = int(time.time()) - 60

    response = client.get("/verzoeken/")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert client.get("/verzoeken/").status_code == 302


def test_absolute_lifetime_comes_from_the_configuration(login_as, app):
    app.config["SESSION_MAX_HOURS"] = 1
    user = f.user(Role.REQUESTER, locale="en")
    db.session.commit()
    client = login_as(user)
    with client.session_transaction() as session:
        session[sessions.BORN_KEY] = int(time.time()) - 3600 - 60

    assert client.get("/verzoeken/").status_code == 302
    assert app.config["SESSION_MAX_HOURS"] == 1
    assert create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://").config[
        "SESSION_MAX_HOURS"] == 12


# --- password re-entry: limited and recorded ---------------------------------------------------

@pytest.mark.parametrize(("url", "field", "purpose"), [
    ("/account/password", "current_password", "change_password"),
    ("/account/two-factor/recovery-codes", "password", "recovery_codes"),
    ("/account/two-factor/disable", "password", "two_factor_disable"),
])
def test_password_reentry_is_rate_limited_and_failures_are_recorded(login_as, app, url, field,
                                                                   purpose):
    app.config["PASSWORD_CHECK_LIMIT_PER_ACCOUNT"] = "3 per 15 minutes"
    user = f.user(Role.REQUESTER, locale="en")
    db.session.commit()
    enable_two_factor(user)
    client = login_as(user)
    data = {field: "not-my-password", "new_password": NEW_PASSWORD,
            "new_password_confirm": NEW_PASSWORD}

    statuses = [client.post(url, data=data).status_code for _ in range(3)]
    blocked = client.post(url, data={**data, field: f.PASSWORD})

    assert statuses == [422] * 3
    assert blocked.status_code == 429
    assert "Too many wrong passwords" in _text(blocked)
    assert int(blocked.headers["Retry-After"]) > 0
    failures = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "user.password_check_failure")).all()
    assert [(e.actor_id, e.details) for e in failures] == [(user.id, {"purpose": purpose})] * 3
    db.session.expire_all()
    assert db.session.get(User, user.id).totp_enabled  # nothing changed


def test_right_password_reentry_does_not_use_up_the_limit(login_as, app):
    app.config["PASSWORD_CHECK_LIMIT_PER_ACCOUNT"] = "1 per 15 minutes"
    user = f.user(Role.REQUESTER, locale="en")
    db.session.commit()
    enable_two_factor(user)
    client = login_as(user)

    first = client.post("/account/two-factor/recovery-codes", data={"password": f.PASSWORD})
    second = client.post("/account/two-factor/recovery-codes", data={"password": f.PASSWORD})

    assert (first.status_code, second.status_code) == (200, 200)
