"""The edge answers what the OpenAPI document promises, also for odd URLs."""

from __future__ import annotations


def test_id_too_large_for_the_database_is_404_not_405(client):
    response = client.put("/api/v1/experts/99999999999/availability", json={})

    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_wrong_method_on_an_existing_url_is_still_405(client):
    response = client.delete("/api/v1/requests")

    assert response.status_code == 405


def test_openapi_documents_money_as_strings_and_conflicts_on_writes(client):
    document = client.get("/api/v1/openapi.json").get_json()

    amount = document["components"]["schemas"]["HourLine"]["properties"]["amount"]
    assert (amount["type"], amount["format"]) == ("string", "decimal")
    accept = document["paths"]["/api/v1/offers/{offer_id}/accept"]["post"]
    assert {"400", "409", "413"} <= set(accept["responses"])
    assert accept["parameters"][0]["schema"] == {"type": "integer", "minimum": 0,
                                                 "maximum": 2**31 - 1}
    imported = document["paths"]["/api/v1/case-tables/{case_table_id}/sessions/import"]["post"]
    assert {"application/json", "text/calendar"} <= set(imported["requestBody"]["content"])
