"""`duidingspool users create` and `duidingspool tokens create`, and using the token."""

from datetime import timedelta

from flask import jsonify
from flask_login import current_user
from sqlalchemy import select

from duidingspool.accounts.access import roles_required
from duidingspool.accounts.models import ApiToken, Role, User
from duidingspool.accounts.services import create_token
from duidingspool.db import utcnow
from duidingspool.extensions import db
from tests import factories as f


def _whoami_route(app):
    @app.get("/api/v1/test-whoami")
    @roles_required(Role.COORDINATOR)
    def whoami():
        return jsonify(email=current_user.email)


def test_users_create_makes_a_requester_of_a_municipality(runner):
    town = f.municipality(name="Hengelo", cbs_code="GM0164")
    db.session.commit()

    result = runner.invoke(args=[
        "users", "create", "--email", "A.Jansen@Example.org", "--name", "A. Jansen",
        "--role", "requester", "--municipality", "hengelo", "--password", "lang-genoeg-wachtwoord",
    ])

    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "a.jansen@example.org"))
    assert user.role_names == {Role.REQUESTER}
    assert user.municipality_id == town.id
    assert user.password_hash.startswith("$argon2id$")


def test_users_create_with_several_roles(runner):
    result = runner.invoke(args=[
        "users", "create", "--email", "c@example.org", "--name", "C", "--role", "coordinator",
        "--role", "admin", "--password", "lang-genoeg-wachtwoord",
    ])

    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "c@example.org"))
    assert user.role_names == {Role.COORDINATOR, Role.ADMIN}


def test_users_create_refuses_short_password_and_writes_nothing(runner):
    result = runner.invoke(args=[
        "users", "create", "--email", "c@example.org", "--name", "C", "--role", "coordinator",
        "--password", "kort",
    ])

    assert result.exit_code != 0
    assert "minstens 12 tekens" in result.output
    assert db.session.scalar(select(db.func.count()).select_from(User)) == 0


def test_users_create_refuses_requester_without_municipality(runner):
    result = runner.invoke(args=[
        "users", "create", "--email", "r@example.org", "--name", "R", "--role", "requester",
        "--password", "lang-genoeg-wachtwoord",
    ])

    assert result.exit_code != 0
    assert "municipality" in result.output


def test_tokens_create_prints_a_token_that_authenticates(app, runner, client):
    _whoami_route(app)
    user = f.user(Role.COORDINATOR)
    db.session.commit()

    result = runner.invoke(args=["tokens", "create", "--email", user.email, "--name", "script"])

    assert result.exit_code == 0, result.output
    raw = result.output.strip()
    assert len(raw) >= 40
    stored = db.session.scalar(select(ApiToken))
    assert stored.token_hash != raw and raw not in stored.token_hash
    response = client.get("/api/v1/test-whoami", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200
    assert response.get_json() == {"email": user.email}


def test_unknown_revoked_or_expired_token_gets_401(app, client):
    _whoami_route(app)
    user = f.user(Role.COORDINATOR)
    _revoked, revoked_raw = create_token(actor=None, user=user, name="old")
    _revoked.revoked_at = utcnow()
    _expired, expired_raw = create_token(actor=None, user=user, name="expired",
                                         expires_at=utcnow() - timedelta(minutes=1))
    db.session.commit()

    for raw in ("not-a-token", revoked_raw, expired_raw):
        response = client.get("/api/v1/test-whoami", headers={"Authorization": f"Bearer {raw}"})
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "unauthorized"


def test_token_of_disabled_user_gets_401(app, client):
    _whoami_route(app)
    user = f.user(Role.COORDINATOR)
    _token, raw = create_token(actor=None, user=user, name="t")
    user.is_enabled = False
    db.session.commit()

    response = client.get("/api/v1/test-whoami", headers={"Authorization": f"Bearer {raw}"})

    assert response.status_code == 401


def test_bearer_token_is_not_accepted_outside_the_api(app, client):
    user = f.user(Role.COORDINATOR)
    _token, raw = create_token(actor=None, user=user, name="t")
    db.session.commit()

    response = client.get("/verzoeken/inbox", headers={"Authorization": f"Bearer {raw}"})

    assert response.status_code == 302


def test_api_write_with_session_cookie_needs_csrf_header(app, client, login_as):
    @app.post("/api/v1/test-write")
    @roles_required(Role.COORDINATOR)
    def write():
        return jsonify(ok=True)

    app.config["WTF_CSRF_ENABLED"] = True
    user = f.user(Role.COORDINATOR)
    _token, raw = create_token(actor=None, user=user, name="t")
    db.session.commit()

    with_cookie = login_as(user).post("/api/v1/test-write", json={})
    with_bearer = app.test_client().post("/api/v1/test-write", json={},
                                         headers={"Authorization": f"Bearer {raw}"})

    assert with_cookie.status_code == 400
    assert with_cookie.get_json()["error"]["code"] == "csrf_failed"
    assert with_bearer.status_code == 200


def test_junk_bearer_header_next_to_a_session_cookie_still_needs_csrf(app, login_as):
    @app.post("/api/v1/test-write-junk")
    @roles_required(Role.COORDINATOR)
    def write():
        return jsonify(ok=True)

    app.config["WTF_CSRF_ENABLED"] = True
    user = f.user(Role.COORDINATOR)
    db.session.commit()

    response = login_as(user).post("/api/v1/test-write-junk", json={},
                                   headers={"Authorization": "Bearer junk"})

    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "csrf_failed"


def test_users_create_refuses_a_name_with_a_line_break(runner):
    result = runner.invoke(args=[
        "users", "create", "--email", "b.jansen@example.org", "--name", "B.\nJansen",
        "--role", "expert", "--password", "lang-genoeg-wachtwoord",
    ])

    assert result.exit_code != 0
    assert db.session.scalar(select(User).where(User.email == "b.jansen@example.org")) is None
