from datetime import timedelta

from duidingspool.accounts.models import Role
from duidingspool.extensions import db
from duidingspool.referrals.models import Referral
from tests import factories
from tests.factories import count
from tests.referrals.helpers import world


def body(w, **overrides) -> dict:
    data = {
        "case_table_id": w.table.id, "session_id": w.session.id,
        "areas": [{"area_id": w.area.id, "min_level": 3}], "mode": "in_person",
        "estimated_hours": 2.5, "urgency": "urgent", "case_code": "CT-2026-014",
        "question": "Duiding van uitingen op sociale media.",
    }
    data.update(overrides)
    return data


def test_create_answers_201_with_the_request(login_as):
    w = world()
    db.session.commit()

    response = login_as(w.requester).post("/api/v1/requests", json=body(w))

    assert response.status_code == 201
    data = response.get_json()
    referral = db.session.get(Referral, data["id"])
    assert data["reference"] == referral.reference
    assert data["status"] == "submitted"
    assert data["case_table"] == {"id": w.table.id, "name": w.table.name}
    assert data["session"]["id"] == w.session.id
    assert data["areas"] == [{"area_id": w.area.id, "code": w.area.code,
                              "name": w.area.name_nl, "min_level": 3}]
    assert (data["estimated_hours"], data["urgency"], data["question"]) == (
        2.5, "urgent", "Duiding van uitingen op sociale media.")
    assert (data["window_start"], data["previous_id"]) == (None, None)


def test_create_with_invalid_fields_answers_422_with_fields(login_as):
    w = world()
    db.session.commit()

    response = login_as(w.requester).post("/api/v1/requests", json=body(
        w, estimated_hours=100, areas=[{"area_id": w.area.id, "min_level": 5}], mode="walk"))

    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == {"estimated_hours", "areas", "mode"}
    assert error["fields"]["areas"] == ["1. min_level: Must be at least 1 and at most 3."]


def test_create_with_unknown_field_answers_422(login_as):
    w = world()
    db.session.commit()

    response = login_as(w.requester).post("/api/v1/requests", json=body(w, client_name="X"))

    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == ["client_name"]


def test_create_with_personal_data_answers_422_and_writes_nothing(login_as):
    w = world()
    db.session.commit()

    response = login_as(w.requester).post("/api/v1/requests", json=body(
        w, question="Rekening NL91 ABNA 0417 1643 00 van de moeder"))

    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "privacy_violation"
    assert error["fields"]["question"][0] == (
        "Contains a bank account number, IBAN (NL**************00).")
    assert count(Referral) == 0


def test_create_for_foreign_case_table_answers_404(login_as):
    w = world()
    foreign = factories.case_table()
    db.session.commit()

    response = login_as(w.requester).post("/api/v1/requests",
                                          json=body(w, case_table_id=foreign.id))

    assert response.status_code == 404
    assert count(Referral) == 0


def test_create_by_coordinator_is_forbidden(login_as):
    w = world()
    coordinator = factories.user(Role.COORDINATOR)
    db.session.commit()

    response = login_as(coordinator).post("/api/v1/requests", json=body(w))

    assert response.status_code == 403


def test_list_by_requester_shows_own_municipality_only(login_as):
    w = world()
    own = factories.referral(requester=w.requester, on=w.session)
    factories.referral(requester=factories.user(Role.REQUESTER))
    db.session.commit()

    data = login_as(w.requester).get("/api/v1/requests").get_json()

    assert [r["id"] for r in data] == [own.id]
    assert "question" not in data[0]


def test_list_by_coordinator_shows_all(login_as):
    w = world()
    own = factories.referral(requester=w.requester, on=w.session)
    foreign = factories.referral(requester=factories.user(Role.REQUESTER))
    coordinator = factories.user(Role.COORDINATOR)
    db.session.commit()

    data = login_as(coordinator).get("/api/v1/requests").get_json()

    assert sorted(r["id"] for r in data) == sorted([own.id, foreign.id])


def test_list_filters_by_status(login_as):
    w = world()
    factories.referral(requester=w.requester, on=w.session)
    booked = factories.referral(requester=w.requester, status="booked")
    db.session.commit()
    client = login_as(w.requester)

    assert [r["id"] for r in client.get("/api/v1/requests?status=booked").get_json()] == [
        booked.id]
    assert client.get("/api/v1/requests?status=lost").status_code == 422


def test_list_pages_with_limit_and_offset(login_as):
    w = world()
    newest = factories.referral(requester=w.requester, on=w.session)
    older = factories.referral(requester=w.requester, on=w.session,
                               created_at=newest.created_at - timedelta(hours=1))
    db.session.commit()
    client = login_as(w.requester)

    first = client.get("/api/v1/requests?limit=1").get_json()
    second = client.get("/api/v1/requests?limit=1&offset=1").get_json()

    assert [r["id"] for r in first + second] == [newest.id, older.id]


def test_read_of_other_municipality_request_answers_404(login_as):
    w = world()
    foreign = factories.referral(requester=factories.user(Role.REQUESTER))
    db.session.commit()
    client = login_as(w.requester)

    assert client.get(f"/api/v1/requests/{foreign.id}").status_code == 404
    response = client.post(f"/api/v1/requests/{foreign.id}/cancel", json={"reason": "Weg"})
    assert response.status_code == 404
    assert db.session.get(Referral, foreign.id).status == "submitted"


def test_read_by_expert_is_forbidden(login_as):
    w = world()
    referral = factories.referral(requester=w.requester, on=w.session)
    expert = factories.user(Role.EXPERT)
    db.session.commit()

    response = login_as(expert).get(f"/api/v1/requests/{referral.id}")

    assert response.status_code == 404


def test_read_returns_question(login_as):
    w = world()
    referral = factories.referral(requester=w.requester, on=w.session)
    db.session.commit()

    data = login_as(w.requester).get(f"/api/v1/requests/{referral.id}").get_json()

    assert data["question"] == referral.question


def test_cancel_twice_answers_409(login_as):
    w = world()
    referral = factories.referral(requester=w.requester, on=w.session)
    db.session.commit()
    client = login_as(w.requester)

    first = client.post(f"/api/v1/requests/{referral.id}/cancel", json={"reason": "Afgesloten"})
    second = client.post(f"/api/v1/requests/{referral.id}/cancel", json={"reason": "Nogmaals"})

    assert (first.status_code, first.get_json()["status"]) == (200, "cancelled")
    assert second.status_code == 409
    assert second.get_json()["error"]["code"] == "conflict"


def test_cancel_without_reason_answers_422(login_as):
    w = world()
    referral = factories.referral(requester=w.requester, on=w.session)
    db.session.commit()

    response = login_as(w.requester).post(f"/api/v1/requests/{referral.id}/cancel", json={})

    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == ["reason"]


def test_openapi_documents_request_paths_and_schema(client):
    spec = client.get("/api/v1/openapi.json").get_json()

    assert set(spec["paths"]["/api/v1/requests"]) == {"get", "post"}
    assert set(spec["paths"]["/api/v1/requests/{request_id}"]) == {"get"}
    assert set(spec["paths"]["/api/v1/requests/{request_id}/cancel"]) == {"post"}
    request_input = spec["components"]["schemas"]["RequestInput"]
    assert set(request_input["required"]) == {"areas", "estimated_hours", "question"}
    assert "question" in spec["components"]["schemas"]["Request"]["properties"]


def test_create_with_a_json_array_body_answers_422(login_as):
    w = world()
    db.session.commit()

    response = login_as(w.requester).post("/api/v1/requests", json=[1, 2])

    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "validation_error"


def test_create_with_an_oversized_question_is_refused_by_length_not_scanned(login_as):
    w = world()
    db.session.commit()

    response = login_as(w.requester).post("/api/v1/requests", json=body(
        w, question="BSN 123456782. " + "Duiding gevraagd. " * 200))

    assert response.status_code == 422
    error = response.get_json()["error"]
    assert (error["code"], list(error["fields"])) == ("validation_error", ["question"])
    assert len(error["fields"]["question"]) == 1  # the length, no personal-data finding
    assert count(Referral) == 0


def test_create_with_two_megabytes_of_question_is_answered_422(login_as):
    w = world()
    db.session.commit()

    response = login_as(w.requester).post("/api/v1/requests", json=body(
        w, question="a" * 2_000_000 + " jan@example.org"))

    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == ["question"]
    assert count(Referral) == 0
