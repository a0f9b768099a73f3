"""The experts API: scoping, availability reads and writes, validation, OpenAPI."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import func, select

from duidingspool.accounts.models import Role
from duidingspool.experts.models import (
    Absence,
    AvailabilityWindow,
    BusyInterval,
    ExpertExpertise,
    ExpertLanguage,
    ExpertRate,
)
from duidingspool.extensions import db
from tests import factories as f

UTC = timezone.utc


def soon(days: int, hour: int = 8) -> datetime:
    return (datetime.now(UTC) + timedelta(days=days)).replace(hour=hour, minute=0, second=0,
                                                              microsecond=0)


def test_coordinator_lists_all_experts_with_profile(app, as_user, coordinator):
    area = f.expertise_area(code="jihadism")
    expert = f.expert(user=f.user(Role.EXPERT, name="Anna de Vries"))
    db.session.add_all([ExpertExpertise(expert_id=expert.id, expertise_area_id=area.id, level=3),
                        ExpertLanguage(expert_id=expert.id, language="ar"),
                        ExpertRate(expert_id=expert.id, valid_from=date(2020, 1, 1),
                                   hourly_rate=Decimal("112.50")),
                        ExpertRate(expert_id=expert.id, valid_from=date(2099, 1, 1),
                                   hourly_rate=Decimal("150.00"))])
    other = f.expert()

    response = as_user(coordinator).get("/api/v1/experts")

    body = response.get_json()
    assert response.status_code == 200
    assert sorted(e["id"] for e in body) == sorted([expert.id, other.id])
    anna = next(e for e in body if e["id"] == expert.id)
    assert anna["current_rate"] == "112.50"
    assert anna["areas"] == [{"area_id": area.id, "code": "jihadism", "name": area.name_en,
                              "level": 3}]
    assert anna["languages"] == ["ar"]
    assert anna["home_municipality"] == {"id": expert.home_municipality_id,
                                         "name": expert.home_municipality.name}
    assert (anna["is_active"], anna["vog_expires_on"]) == (True, "2029-01-01")
    assert [r["hourly_rate"] for r in anna["rates"]] == ["112.50", "150.00"]


def test_expert_lists_only_themself(app, as_user):
    mine, _other = f.expert(), f.expert()

    body = as_user(mine.user).get("/api/v1/experts").get_json()

    assert [e["id"] for e in body] == [mine.id]


def test_expert_gets_404_for_another_expert(app, as_user):
    mine, other = f.expert(), f.expert()
    client = as_user(mine.user)

    assert client.get(f"/api/v1/experts/{other.id}").status_code == 404
    assert client.get(f"/api/v1/experts/{other.id}/availability").status_code == 404
    assert client.put(f"/api/v1/experts/{other.id}/availability",
                      json={"windows": [], "absences": []}).status_code == 404
    assert client.get(f"/api/v1/experts/{mine.id}").get_json()["id"] == mine.id


def test_requester_forbidden(app, as_user):
    expert = f.expert()

    response = as_user(f.user(Role.REQUESTER)).get(f"/api/v1/experts/{expert.id}")

    assert response.status_code == 404


def test_availability_shows_times_from_today(app, as_user, coordinator):
    expert = f.expert()
    db.session.add_all([
        AvailabilityWindow(expert_id=expert.id, weekday=2, start_minute=540, end_minute=1020),
        Absence(expert_id=expert.id, starts_at=soon(-10), ends_at=soon(-9), reason="Old"),
        Absence(expert_id=expert.id, starts_at=soon(3), ends_at=soon(4), reason="Course"),
        BusyInterval(expert_id=expert.id, starts_at=soon(-5), ends_at=soon(-5, 9)),
        BusyInterval(expert_id=expert.id, starts_at=soon(5), ends_at=soon(5, 9)),
    ])

    body = as_user(coordinator).get(f"/api/v1/experts/{expert.id}/availability").get_json()

    assert body["windows"] == [{"id": body["windows"][0]["id"], "weekday": 2,
                                "start": "09:00", "end": "17:00"}]
    assert [{k: v for k, v in a.items() if k != "id"} for a in body["absences"]] == [
        {"starts_at": soon(3).isoformat(), "ends_at": soon(4).isoformat()}]
    assert body["busy"] == [{"starts_at": soon(5).isoformat(),
                             "ends_at": soon(5, 9).isoformat()}]
    assert (body["busy_calendar"], body["busy_refreshed_at"]) == (False, None)


def test_expert_sees_own_absence_reasons(app, as_user):
    expert = f.expert()
    db.session.add(Absence(expert_id=expert.id, starts_at=soon(3), ends_at=soon(4),
                           reason="Course"))

    body = as_user(expert.user).get(f"/api/v1/experts/{expert.id}/availability").get_json()

    assert [a["reason"] for a in body["absences"]] == ["Course"]


def test_expert_replaces_availability(app, as_user):
    expert = f.expert()
    db.session.add(AvailabilityWindow(expert_id=expert.id, weekday=0, start_minute=0,
                                      end_minute=60))

    response = as_user(expert.user).put(f"/api/v1/experts/{expert.id}/availability", json={
        "windows": [{"weekday": 1, "start": "09:00", "end": "12:00"},
                    {"weekday": 1, "start": "13:00", "end": "24:00"}],
        "absences": [{"starts_at": "2027-07-01T00:00:00+02:00",
                      "ends_at": "2027-07-02T00:00:00+02:00"}]})

    assert response.status_code == 200
    assert [(w["start"], w["end"]) for w in response.get_json()["windows"]] == [
        ("09:00", "12:00"), ("13:00", "24:00")]
    assert db.session.execute(select(AvailabilityWindow.weekday, AvailabilityWindow.start_minute,
                                     AvailabilityWindow.end_minute)
                              .order_by(AvailabilityWindow.start_minute)).all() == [
        (1, 540, 720), (1, 780, 1440)]
    assert db.session.execute(select(Absence.starts_at, Absence.ends_at)).all() == [
        (datetime(2027, 6, 30, 22, tzinfo=UTC), datetime(2027, 7, 1, 22, tzinfo=UTC))]


def test_replace_availability_invalid_answers_422_with_fields(app, as_user):
    expert = f.expert()
    client = as_user(expert.user)
    url = f"/api/v1/experts/{expert.id}/availability"

    bad_shape = client.put(url, json={"windows": [{"weekday": 9, "start": "9", "end": "10:00"}],
                                      "absences": [], "extra": 1})
    overlap = client.put(url, json={"windows": [
        {"weekday": 1, "start": "09:00", "end": "12:00"},
        {"weekday": 1, "start": "11:00", "end": "14:00"}], "absences": []})

    assert bad_shape.status_code == 422
    error = bad_shape.get_json()["error"]
    assert error["code"] == "validation_error"
    assert sorted(error["fields"]) == ["extra", "windows.0.start", "windows.0.weekday"]
    assert overlap.status_code == 422
    assert list(overlap.get_json()["error"]["fields"]) == ["windows.1"]
    assert db.session.scalars(select(AvailabilityWindow)).all() == []


def test_coordinator_cannot_replace_availability(app, as_user, coordinator):
    expert = f.expert()

    response = as_user(coordinator).put(f"/api/v1/experts/{expert.id}/availability",
                                        json={"windows": [], "absences": []})

    assert response.status_code == 404


def test_openapi_has_the_expert_paths(app, client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]

    assert set(paths["/api/v1/experts"]) == {"get"}
    assert set(paths["/api/v1/experts/{expert_id}"]) == {"get"}
    assert set(paths["/api/v1/experts/{expert_id}/availability"]) == {"get", "put"}


def test_expertise_areas_lists_the_active_ones_for_every_role(app, as_user, coordinator):
    jihadism = f.expertise_area(code="jihadism", name_nl="Jihadisme", name_en="Jihadism")
    f.expertise_area(code="old", name_nl="Oud", name_en="Old", is_active=False)
    requester = f.user(Role.REQUESTER, municipality_obj=f.municipality())
    expert = f.expert()

    answers = [as_user(user).get("/api/v1/expertise-areas")
               for user in (requester, coordinator, expert.user)]

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert answers[0].json == [{"id": jihadism.id, "code": "jihadism", "name_nl": "Jihadisme",
                                "name_en": "Jihadism", "levels": [1, 2, 3]}]


def test_expert_adds_and_removes_one_window_and_one_absence(app, as_user):
    expert = f.expert()
    client = as_user(expert.user)
    base = f"/api/v1/experts/{expert.id}/availability"
    start = soon(5, hour=9)

    window = client.post(f"{base}/windows", json={"weekday": 1, "start": "09:00",
                                                   "end": "12:30"})
    absence = client.post(f"{base}/absences", json={
        "starts_at": start.isoformat(), "ends_at": (start + timedelta(days=1)).isoformat(),
        "reason": "Cursus"})

    assert window.status_code == 201
    assert {k: window.json[k] for k in ("weekday", "start", "end")} == {
        "weekday": 1, "start": "09:00", "end": "12:30"}
    assert absence.status_code == 201 and absence.json["reason"] == "Cursus"
    assert [w.start_minute for w in db.session.scalars(select(AvailabilityWindow))] == [540]
    assert client.delete(f"{base}/windows/{window.json['id']}").status_code == 204
    assert client.delete(f"{base}/absences/{absence.json['id']}").status_code == 204
    assert client.delete(f"{base}/absences/{absence.json['id']}").status_code == 404
    db.session.expire_all()
    assert db.session.scalars(select(AvailabilityWindow)).all() == []
    assert db.session.scalars(select(Absence)).all() == []


def test_overlapping_window_is_refused_with_422_and_others_cannot_add(app, as_user):
    expert, other = f.expert(), f.expert()
    db.session.add(AvailabilityWindow(expert_id=expert.id, weekday=2, start_minute=540,
                                      end_minute=720))
    client = as_user(expert.user)

    overlap = client.post(f"/api/v1/experts/{expert.id}/availability/windows",
                          json={"weekday": 2, "start": "11:00", "end": "14:00"})
    foreign = client.post(f"/api/v1/experts/{other.id}/availability/windows",
                          json={"weekday": 2, "start": "15:00", "end": "16:00"})

    assert overlap.status_code == 422
    assert overlap.json["error"]["fields"] == {
        "start": ["Wednesday 11:00–14:00 overlaps 09:00–12:00; remove one window or choose "
                  "times that do not overlap."]}
    assert foreign.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(AvailabilityWindow)) == 1


def test_absence_from_year_one_is_refused_with_422_naming_the_field(app, as_user):
    expert = f.expert()
    client = as_user(expert.user)

    response = client.post(f"/api/v1/experts/{expert.id}/availability/absences", json={
        "starts_at": "0001-01-01T00:00:00", "ends_at": "0001-01-02T00:00:00"})

    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {"starts_at", "ends_at"}
    assert db.session.scalars(select(Absence)).all() == []


def test_deeply_nested_json_body_is_refused_not_a_500(app, as_user):
    expert = f.expert()
    client = as_user(expert.user)
    body = "[" * 100_000 + "]" * 100_000

    response = client.post(f"/api/v1/experts/{expert.id}/availability/absences", data=body,
                           content_type="application/json")

    assert response.status_code in (400, 422)
    assert response.json["error"]["fields"] == {"_schema": ["Send a JSON object as the request body."]}
