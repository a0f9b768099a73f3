"""The OpenAPI document is valid, public, and covers every API route."""

from openapi_spec_validator import validate


def test_openapi_document_is_valid_openapi_3(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    validate(response.get_json())


def test_openapi_document_lists_every_api_route(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    documented = {
        (path, method.upper())
        for path, operations in document["paths"].items()
        for method in operations
    }

    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint == "api.openapi":
            continue
        path = rule.rule
        for argument in rule.arguments:
            path = path.replace(f"<int:{argument}>", "{" + argument + "}").replace(
                f"<{argument}>", "{" + argument + "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((path, method))

    assert routes <= documented


def test_api_errors_have_the_stable_shape(client):
    response = client.get("/api/v1/no-such-thing")

    assert response.status_code == 404
    assert set(response.get_json()["error"]) == {"code", "message", "fields"}


def test_api_answers_401_json_to_anonymous_callers(app, client):
    protected = [rule for rule in app.url_map.iter_rules()
                 if rule.rule.startswith("/api/v1/") and rule.endpoint != "api.openapi"]

    for rule in protected:
        url = rule.build({arg: 1 for arg in rule.arguments}, append_unknown=False)[1]
        method = sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        response = client.open(url, method=method, json={})
        assert response.status_code == 401, (rule.rule, response.status_code)
        assert response.get_json()["error"]["code"] == "unauthorized"
