"""User administration in the JSON API: administrators only, the same rules as the pages."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from openapi_spec_validator import validate
from sqlalchemy import select

from duidingspool.accounts import services
from duidingspool.accounts.models import Role, User
from duidingspool.api.core import build_spec
from duidingspool.audit.models import AuditEvent
from duidingspool.extensions import db
from tests import factories as f
from tests.accounts.helpers import enable_two_factor, link_tokens


@pytest.fixture
def admin(app):
    user = f.user(Role.ADMIN, locale="en")
    db.session.commit()
    return user


@pytest.fixture
def bearer(admin):
    _token, raw = services.create_token(actor=admin, user=admin, name="beheer")
    db.session.commit()
    return {"Authorization": f"Bearer {raw}"}


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


@pytest.mark.parametrize("role", [Role.REQUESTER, Role.COORDINATOR, Role.EXPERT])
def test_user_administration_is_for_admins_only(app, login_as, role):
    other = f.user(Role.EXPERT)
    db.session.commit()
    client = login_as(f.user(role, locale="en"))
    db.session.commit()

    listed = client.get("/api/v1/users")
    created = client.post("/api/v1/users", json={"email": "x@example.org", "name": "X",
                                                  "roles": ["expert"]})
    read = client.get(f"/api/v1/users/{other.id}")
    changed = client.put(f"/api/v1/users/{other.id}/roles", json={"roles": ["admin"]})
    deactivated = client.post(f"/api/v1/users/{other.id}/deactivate")

    assert (listed.status_code, created.status_code) == (403, 403)
    assert (read.status_code, changed.status_code, deactivated.status_code) == (404, 404, 404)
    assert services.get_by_email("x@example.org") is None
    assert _events("user.roles") == [] and db.session.get(User, other.id).is_enabled


def test_admin_creates_a_user_with_an_invitation(app, bearer):
    town = f.municipality()
    db.session.commit()

    response = app.test_client().post("/api/v1/users", headers=bearer, json={
        "email": "Nina@Example.org", "name": "Nina Noord", "roles": ["requester"],
        "municipality_id": town.id})

    body = response.get_json()
    assert response.status_code == 201
    assert {k: body[k] for k in ("email", "name", "roles", "municipality_id", "is_active",
                                 "has_password", "two_factor_enabled")} == {
        "email": "nina@example.org", "name": "Nina Noord", "roles": ["requester"],
        "municipality_id": town.id, "is_active": True, "has_password": False,
        "two_factor_enabled": False}
    assert len(link_tokens("nina@example.org")) == 1


def test_creating_a_user_refuses_a_taken_address_with_the_error_shape(app, bearer, admin):
    with force_locale("en"):
        response = app.test_client().post("/api/v1/users", headers=bearer, json={
            "email": admin.email, "name": "Dubbel", "roles": ["expert"]})

    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"email": ["Already in use."]}


def test_admin_lists_and_reads_users(app, bearer, admin):
    response = app.test_client().get("/api/v1/users", headers=bearer)
    one = app.test_client().get(f"/api/v1/users/{admin.id}", headers=bearer)

    assert [u["email"] for u in response.get_json()] == [admin.email]
    assert one.get_json()["roles"] == ["admin"]
    assert "password_hash" not in one.get_json() and "totp_secret" not in one.get_json()


def test_admin_changes_roles_through_the_api_and_it_is_audited(app, bearer, admin):
    coordinator = f.user(Role.COORDINATOR)
    db.session.commit()

    response = app.test_client().put(f"/api/v1/users/{coordinator.id}/roles", headers=bearer,
                                     json={"roles": ["coordinator", "expert"]})

    [event] = _events("user.roles")
    assert response.status_code == 200
    assert response.get_json()["roles"] == ["coordinator", "expert"]
    assert (event.actor_id, event.details["new_roles"]) == (admin.id, ["coordinator", "expert"])


def test_own_roles_through_the_api_answer_409(app, bearer, admin):
    response = app.test_client().put(f"/api/v1/users/{admin.id}/roles", headers=bearer,
                                     json={"roles": ["admin", "coordinator"]})

    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "conflict"


def test_admin_deactivates_reactivates_and_resets_two_factor(app, bearer):
    person = f.user(Role.COORDINATOR)
    db.session.commit()
    enable_two_factor(person)
    client = app.test_client()

    reset = client.post(f"/api/v1/users/{person.id}/reset-two-factor", headers=bearer)
    again = client.post(f"/api/v1/users/{person.id}/reset-two-factor", headers=bearer)
    deactivated = client.post(f"/api/v1/users/{person.id}/deactivate", headers=bearer)
    reactivated = client.post(f"/api/v1/users/{person.id}/reactivate", headers=bearer)

    assert reset.status_code == 200 and reset.get_json()["two_factor_enabled"] is False
    assert again.status_code == 409
    assert deactivated.get_json()["is_active"] is False
    assert reactivated.get_json()["is_active"] is True


def test_new_invitation_through_the_api(app, bearer, admin):
    invited = services.create(actor=None, email="later@example.org", name="Lotte Later",
                              password=None, roles=[Role.EXPERT])
    db.session.commit()
    client = app.test_client()

    sent = client.post(f"/api/v1/users/{invited.id}/invitation", headers=bearer)
    refused = client.post(f"/api/v1/users/{admin.id}/invitation", headers=bearer)

    assert sent.status_code == 200 and len(link_tokens(invited.email)) == 1
    assert refused.status_code == 409


def test_unknown_user_answers_404(app, bearer):
    response = app.test_client().get("/api/v1/users/999999", headers=bearer)

    assert response.status_code == 404


def test_openapi_document_describes_user_administration_and_is_valid(app):
    with app.test_request_context():
        document = build_spec()

    validate(document)
    assert {"/api/v1/users", "/api/v1/users/{user_id}", "/api/v1/users/{user_id}/roles",
            "/api/v1/users/{user_id}/deactivate", "/api/v1/users/{user_id}/reactivate",
            "/api/v1/users/{user_id}/reset-two-factor",
            "/api/v1/users/{user_id}/invitation"} <= set(document["paths"])
    assert document["paths"]["/api/v1/users"]["post"]["x-roles"] == ["admin"]
