"""The JSON API's plumbing: blueprint, route declaration, body loading, OpenAPI.

Each feature's `api.py` declares its endpoints with `route(...)`, naming the roles, the
input and output schemas; the same declaration registers the Flask view and documents it
in the OpenAPI document, so the two cannot drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from marshmallow import RAISE, Schema, fields

from duidingspool.accounts.access import public, roles_required
from duidingspool.schema_defaults import DB_INT_MAX

bp = Blueprint("api", __name__, url_prefix="/api/v1")

API_VERSION = "1.0.0"


@dataclass
class Operation:
    rule: str
    method: str
    endpoint: str
    summary: str
    roles: tuple
    tag: str
    body: Schema | None = None
    response: Schema | None = None
    status: int = 200
    query: Schema | None = None
    content_type: str = "application/json"
    errors: tuple[int, ...] = field(default=(401, 403, 404, 422))
    # Raw bodies the operation also takes, e.g. {"text/calendar": "An iCalendar file"}.
    raw_bodies: dict[str, str] = field(default_factory=dict)

    @property
    def writes(self) -> bool:
        return self.method.upper() not in ("GET", "HEAD", "OPTIONS")


OPERATIONS: list[Operation] = []

ERROR_DESCRIPTIONS = {
    400: "Missing or invalid CSRF token (session-cookie callers)",
    401: "Not logged in and no valid bearer token",
    403: "The caller's role does not allow this operation",
    404: "No such object, or one outside the caller's scope",
    413: "The request body is larger than the server accepts",
    409: "Conflicts with the current state (e.g. already decided, session started)",
    422: "Invalid input; `fields` names each problem",
}


def route(rule: str, *, method: str = "GET", roles, summary: str, tag: str,
          body: Schema | None = None, response: Schema | None = None, status: int = 200,
          query: Schema | None = None, content_type: str = "application/json",
          raw_bodies: dict[str, str] | None = None):
    """Declare an API endpoint: Flask route, access rule and OpenAPI operation in one."""

    def decorator(view):
        endpoint = view.__name__
        decorated = roles_required(*roles)(view)
        bp.add_url_rule(rule, endpoint=endpoint, view_func=decorated, methods=[method])
        OPERATIONS.append(Operation(rule=rule, method=method, endpoint=endpoint,
                                    summary=summary, roles=tuple(roles), tag=tag, body=body,
                                    response=response, status=status, query=query,
                                    content_type=content_type, raw_bodies=raw_bodies or {}))
        return decorated

    return decorator


def load_json(schema: Schema) -> dict:
    """The request's JSON body loaded through `schema`; unknown fields are refused."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        from marshmallow import ValidationError

        raise ValidationError({"_schema": [_("Send a JSON object as the request body.")]})
    return schema.load(payload, unknown=RAISE)


def dump(schema: Schema, obj, status: int = 200):
    response = jsonify(schema.dump(obj))
    response.status_code = status
    return response


def _openapi_path(rule: str) -> tuple[str, list[dict]]:
    params = []

    def replace(match):
        converter, name = match.group(1), match.group(2)
        schema = ({"type": "integer", "minimum": 0, "maximum": DB_INT_MAX}  # larger: no route
                  if converter == "int" else {"type": "string"})
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
        return "{" + name + "}"

    path = re.sub(r"<(?:(\w+):)?(\w+)>", replace, rule)
    return bp.url_prefix + path, params


def _decimal_as_string(field, ret: dict, **kwargs) -> dict:
    """A Decimal dumped `as_string` is a JSON string (exact money, hours), not a number."""
    if isinstance(field, fields.Decimal) and field.as_string:
        return {"type": "string", "format": "decimal"}
    return {}


def build_spec() -> dict:
    """The OpenAPI 3 document of every declared operation."""
    marshmallow_plugin = MarshmallowPlugin()
    spec = APISpec(
        title="Duidingspool API",
        version=API_VERSION,
        openapi_version="3.0.3",
        plugins=[marshmallow_plugin],
        info={"description": "Requests for interpretation specialists of the Oost-Nederland "
                             "interpretation pool. Authenticate with a session cookie (writes "
                             "need X-CSRFToken) or `Authorization: Bearer <token>`."},
    )
    converter = marshmallow_plugin.converter
    converter.attribute_functions.insert(1, _decimal_as_string)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object",
                           "additionalProperties": {"type": "array", "items": {"type": "string"}}},
            },
        }},
    })
    error_ref = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        path, params = _openapi_path(op.rule)
        operation: dict = {
            "operationId": op.endpoint,
            "summary": op.summary,
            "tags": [op.tag],
            "security": [{"bearer": []}],
            "x-roles": [str(r) for r in op.roles],
            "responses": {},
        }
        if op.query is not None:
            params = params + [{"in": "query", "schema": op.query}]
        if params:
            operation["parameters"] = params
        if op.body is not None:
            operation["requestBody"] = {"required": True, "content": {op.content_type: {"schema": op.body}}}
            for media_type, description in op.raw_bodies.items():
                operation["requestBody"]["content"][media_type] = {
                    "schema": {"type": "string", "description": description}}
        ok: dict = {"description": "OK"}
        if op.response is not None:
            ok["content"] = {"application/json": {"schema": op.response}}
        operation["responses"][str(op.status)] = ok
        # Writes can conflict with the state of things (409) and, with a session cookie
        # instead of a bearer token, need X-CSRFToken (400 without it).
        # A body over MAX_CONTENT_LENGTH is refused with 413.
        codes = sorted(set(op.errors) | ({400, 409, 413} if op.writes else set()))
        for code in codes:
            operation["responses"][str(code)] = {
                "description": ERROR_DESCRIPTIONS.get(code, "Error"), **error_ref}
        paths.setdefault(path, {})[op.method.lower()] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


@bp.get("/openapi.json")
@public
def openapi():
    """The OpenAPI document, generated from the declared operations and their schemas."""
    return jsonify(build_spec())
