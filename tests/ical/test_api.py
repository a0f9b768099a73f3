"""The calendar subscriptions in the JSON API: the secret URL only in a create or rotate."""

from __future__ import annotations

import pytest

from duidingspool.accounts.models import Role
from duidingspool.extensions import db
from duidingspool.ical.models import CalendarFeed
from tests import factories as f
from tests.bookings.helpers import World


@pytest.fixture
def expert_client(app, login_as):
    w = World()
    expert = w.expert()
    db.session.commit()
    return expert, login_as(expert.user)


def test_feed_create_returns_the_secret_url_once_and_it_serves_the_calendar(expert_client):
    expert, client = expert_client

    created = client.post("/api/v1/feeds", json={"scope": "expert"})
    listed = client.get("/api/v1/feeds")

    assert created.status_code == 201
    url = created.json["url"]
    assert url.startswith("http://127.0.0.1:5000/calendar/") and url.endswith(".ics")
    assert created.json["webcal_url"] == url.replace("http://", "webcal://")
    assert listed.json == [{"scope": "expert", "case_table_id": None, "case_table_name": None,
                            "feed": {"id": created.json["id"],
                                     "created_at": created.json["created_at"]}}]
    assert url.split("/calendar/")[1] not in listed.get_data(as_text=True)
    assert client.get(url.replace("http://127.0.0.1:5000", "")).status_code == 200


def test_feed_rotate_gives_a_new_url_and_the_old_one_stops(expert_client):
    _expert, client = expert_client
    first = client.post("/api/v1/feeds", json={"scope": "expert"}).json

    rotated = client.post(f"/api/v1/feeds/{first['id']}/rotate")
    again = client.post(f"/api/v1/feeds/{first['id']}/rotate")

    assert rotated.status_code == 201
    assert rotated.json["id"] != first["id"] and rotated.json["url"] != first["url"]
    assert client.get(first["url"].replace("http://127.0.0.1:5000", "")).status_code == 404
    assert client.get(rotated.json["url"].replace("http://127.0.0.1:5000", "")).status_code == 200
    assert again.status_code == 404  # the old one is no longer live


def test_feed_delete_revokes_and_another_users_feed_is_not_found(expert_client, login_as):
    _expert, client = expert_client
    created = client.post("/api/v1/feeds", json={"scope": "expert"}).json
    coordinator = f.user(Role.COORDINATOR)
    db.session.commit()

    foreign = login_as(coordinator).delete(f"/api/v1/feeds/{created['id']}")
    client = login_as(_expert.user)
    revoked = client.delete(f"/api/v1/feeds/{created['id']}")

    assert (foreign.status_code, revoked.status_code) == (404, 204)
    assert db.session.get(CalendarFeed, created["id"]).revoked_at is not None
    assert client.get(created["url"].replace("http://127.0.0.1:5000", "")).status_code == 404


def test_feed_the_role_does_not_allow_is_refused_with_422(app, login_as):
    requester = f.user(Role.REQUESTER, municipality_obj=f.municipality())
    db.session.commit()

    response = login_as(requester).post("/api/v1/feeds", json={"scope": "all"})

    assert response.status_code == 422
    assert response.json["error"]["fields"] == {
        "scope": ["This calendar is not available to you."]}
