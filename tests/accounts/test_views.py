"""Login, logout, the deny-by-default gate and the session cookie."""

from duidingspool.accounts.models import Role
from duidingspool.accounts.sessions import stamp
from duidingspool.audit.models import AuditEvent
from duidingspool.extensions import db
from tests import factories as f
from sqlalchemy import select


def test_login_with_right_password_starts_a_session(client, app):
    user = f.user(Role.REQUESTER)
    db.session.commit()

    response = client.post("/login", data={"email": user.email.upper(), "password": f.PASSWORD})

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/").headers["Location"] == "/verzoeken/"
    assert client.get("/verzoeken/").status_code == 200


def test_coordinator_login_with_right_password_asks_for_two_factor_setup(client, app):
    user = f.user(Role.COORDINATOR)
    db.session.commit()

    response = client.post("/login", data={"email": user.email.upper(), "password": f.PASSWORD})

    assert response.status_code == 302
    assert response.headers["Location"] == "/account/two-factor/setup"


def test_login_with_wrong_password_is_refused_and_audited(client, app):
    user = f.user(Role.COORDINATOR)
    db.session.commit()

    response = client.post("/login", data={"email": user.email, "password": "wrong-password-123"})

    assert response.status_code == 401
    assert "Onbekend e-mailadres of onjuist wachtwoord" in response.get_data(as_text=True)
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions == ["login.failure"]
    assert client.get("/verzoeken/inbox").status_code == 302


def test_login_of_disabled_user_is_refused(client, app):
    user = f.user(Role.COORDINATOR, is_enabled=False)
    db.session.commit()

    response = client.post("/login", data={"email": user.email, "password": f.PASSWORD})

    assert response.status_code == 401


def test_login_follows_only_local_next_urls(client, app):
    user = f.user(Role.REQUESTER)
    db.session.commit()

    response = client.post("/login?next=https://evil.example/x",
                           data={"email": user.email, "password": f.PASSWORD})

    assert response.headers["Location"] == "/"


def test_logout_ends_the_session(client, app):
    user = f.user(Role.COORDINATOR)
    db.session.commit()
    client.post("/login", data={"email": user.email, "password": f.PASSWORD})

    response = client.post("/logout")

    assert response.status_code == 302
    assert client.get("/verzoeken/inbox").status_code == 302


def test_anonymous_user_is_sent_to_login(client, app):
    response = client.get("/verzoeken/inbox")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_role_without_access_gets_403(login_as, app):
    expert = f.user(Role.EXPERT)
    db.session.commit()

    response = login_as(expert).get("/verzoeken/inbox")

    assert response.status_code == 403


def test_every_endpoint_declares_who_may_use_it(app):
    undeclared = [
        rule.endpoint for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        and getattr(app.view_functions[rule.endpoint], "allowed_roles", None) is None
    ]

    assert undeclared == []


def test_endpoint_without_declaration_answers_404(app, login_as):
    @app.get("/undeclared")
    def undeclared():
        return "secret"

    admin = f.user(Role.ADMIN, Role.COORDINATOR)
    db.session.commit()

    assert login_as(admin).get("/undeclared").status_code == 404


def test_every_form_post_needs_a_csrf_token(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    user = f.user(*Role)
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
        stamp(session, user, second_factor=True)

    refused = {}
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.rule.startswith("/api/"):
            continue
        url = rule.build({arg: 1 for arg in rule.arguments}, append_unknown=False)[1]
        refused[rule.rule] = client.post(url, data={}).status_code

    assert refused and all(status == 400 for status in refused.values()), refused


def test_session_cookie_is_httponly_and_samesite(client, app):
    user = f.user(Role.COORDINATOR)
    db.session.commit()

    response = client.post("/login", data={"email": user.email, "password": f.PASSWORD})

    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_production_cookies_are_secure(monkeypatch):
    from duidingspool import create_app

    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    app = create_app("production")

    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


def test_language_switch_to_english(client, app):
    response = client.post("/language", data={"locale": "en", "next": "/login"})

    assert response.headers["Location"] == "/login"
    assert "Log in" in client.get("/login").get_data(as_text=True)


def test_pages_have_security_headers(client, app):
    response = client.get("/login")

    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]


def test_language_choice_of_a_logged_in_user_is_stored_and_audited(login_as, app):
    user = f.user(Role.REQUESTER)
    db.session.commit()

    login_as(user).post("/language", data={"locale": "en", "next": "/"})

    db.session.expire_all()
    assert user.locale == "en"
    assert db.session.scalars(select(AuditEvent.action)).all() == ["user.locale"]


def test_language_chosen_on_the_login_page_is_kept_after_login(client, app):
    user = f.user(Role.REQUESTER)
    db.session.commit()
    client.post("/language", data={"locale": "en", "next": "/login"})

    client.post("/login", data={"email": user.email, "password": f.PASSWORD})

    html = client.get("/verzoeken/").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "My requests" in html
    db.session.expire_all()
    assert user.locale == "en"


def test_language_chosen_stays_after_logout(client, app):
    user = f.user(Role.REQUESTER)
    db.session.commit()
    client.post("/language", data={"locale": "en", "next": "/login"})
    client.post("/login", data={"email": user.email, "password": f.PASSWORD})

    client.post("/logout")

    assert '<html lang="en">' in client.get("/login").get_data(as_text=True)


def test_login_without_a_language_choice_keeps_the_users_language(client, app):
    user = f.user(Role.REQUESTER)
    user.locale = "en"
    db.session.commit()

    client.post("/login", data={"email": user.email, "password": f.PASSWORD})

    assert '<html lang="en">' in client.get("/verzoeken/").get_data(as_text=True)
    db.session.expire_all()
    assert user.locale == "en"
