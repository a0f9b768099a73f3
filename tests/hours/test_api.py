"""Hours API: access rules, money as strings, submit/approve/reject."""

from __future__ import annotations

from duidingspool.extensions import db


def test_expert_records_and_submits_own_hours(world, login_as):
    booking = world.booking("2026-06-30T10:00")
    db.session.commit()
    client = login_as(world.expert.user)

    created = client.post(f"/api/v1/bookings/{booking.id}/hours",
                          json={"category": "attendance", "hours": "1:30", "kilometres": "37.5"})
    assert created.status_code == 201
    line_id = created.json["id"]
    submitted = client.post(f"/api/v1/hours/{line_id}/submit")

    assert submitted.status_code == 200
    assert (submitted.json["status"], submitted.json["amount"]) == ("submitted", "128.63")
    assert client.get(f"/api/v1/bookings/{booking.id}/hours").json[0]["hours"] == "1:30"


def test_coordinator_approves_and_rejects_with_reason(world, login_as):
    booking = world.booking("2026-06-30T10:00")
    a = world.line(booking, minutes=60, status="submitted", amount="80.00")
    b = world.line(booking, minutes=60, status="submitted", amount="80.00")
    db.session.commit()
    client = login_as(world.coordinator)

    assert client.post(f"/api/v1/hours/{a.id}/approve").json["status"] == "approved"
    assert client.post(f"/api/v1/hours/{b.id}/reject", json={}).status_code == 422
    rejected = client.post(f"/api/v1/hours/{b.id}/reject", json={"reason": "Dubbel"})
    assert (rejected.json["status"], rejected.json["reject_reason"]) == ("rejected", "Dubbel")
    assert client.post(f"/api/v1/hours/{a.id}/approve").status_code == 409
    assert client.get(f"/api/v1/bookings/{booking.id}/hours").status_code == 200
    assert client.post(f"/api/v1/bookings/{booking.id}/hours",
                       json={"category": "attendance", "hours": "1"}).status_code == 404


def test_expert_sees_only_own_hours(world, login_as):
    booking = world.booking("2026-06-30T10:00")
    line = world.line(booking, minutes=60, status="draft")
    other = world.new_expert()
    db.session.commit()
    client = login_as(other.user)

    assert client.get(f"/api/v1/bookings/{booking.id}/hours").status_code == 404
    assert client.get(f"/api/v1/hours/{line.id}").status_code == 404
    assert client.post(f"/api/v1/hours/{line.id}/submit").status_code == 404
    assert client.post(f"/api/v1/bookings/{booking.id}/hours",
                       json={"category": "attendance", "hours": "1"}).status_code == 404


def test_requester_has_no_access_to_hours_budgets_reports(world, login_as):
    booking = world.booking("2026-06-30T10:00")
    db.session.commit()
    client = login_as(world.requester)

    assert client.get(f"/api/v1/bookings/{booking.id}/hours").status_code == 404
    assert client.get("/api/v1/budgets/2026").status_code == 403
    assert client.get("/api/v1/reports/2026").status_code == 403


def test_bad_hours_answer_422_with_fields(world, login_as):
    booking = world.booking("2026-06-30T10:00")
    db.session.commit()
    response = login_as(world.expert.user).post(
        f"/api/v1/bookings/{booking.id}/hours", json={"category": "coffee", "hours": "1:99"})
    assert response.status_code == 422
    assert sorted(response.json["error"]["fields"]) == ["category", "hours"]


def test_endpoints_in_openapi(app, client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in ("/api/v1/bookings/{booking_id}/hours", "/api/v1/hours/{line_id}/submit",
                 "/api/v1/hours/{line_id}/approve", "/api/v1/hours/{line_id}/reject",
                 "/api/v1/budgets/{year}", "/api/v1/reports/{year}"):
        assert path in paths
