"""JSON API for requests: list, create, read, cancel."""

from __future__ import annotations

from flask import request
from flask_login import current_user
from marshmallow import EXCLUDE
from marshmallow import ValidationError as SchemaError

from duidingspool.accounts.models import Role
from duidingspool.api.core import dump, load_json, route
from duidingspool.extensions import db
from duidingspool.referrals import queries, services
from duidingspool.referrals.schemas import (
    RequestCancelSchema,
    RequestListQuerySchema,
    RequestInputSchema,
    RequestSchema,
    RequestSummarySchema,
)
from duidingspool.web import field_errors

TAG = "requests"


@route("/requests", roles=[Role.REQUESTER, Role.COORDINATOR], tag=TAG,
       summary="Requests the caller may see (a requester: their municipality's), "
               "most urgent first, then newest (paged with limit/offset)",
       query=RequestListQuerySchema(), response=RequestSummarySchema(many=True))
def list_requests():
    """List requests in scope, optionally of one status."""
    args = RequestListQuerySchema().load(request.args.to_dict(), unknown=EXCLUDE)
    statuses = [args["status"]] if args.get("status") else None
    referrals = db.session.scalars(
        queries.list_for(current_user, statuses=statuses, order="inbox")
        .limit(args["limit"]).offset(args["offset"])
    )
    return dump(RequestSummarySchema(many=True), list(referrals))


@route("/requests", method="POST", roles=[Role.REQUESTER], tag=TAG,
       summary="Submit a request for a session of your case table, or a date window",
       body=RequestInputSchema(), response=RequestSchema(), status=201)
def create_request():
    """Create a request; 422 names the fields, including personal data found."""
    try:
        data = load_json(RequestInputSchema())
    except SchemaError as exc:
        payload = request.get_json(silent=True)
        payload = payload if isinstance(payload, dict) else {}
        raise services.input_error(fields=field_errors(exc), question=payload.get("question"),
                                   case_code=payload.get("case_code")) from exc
    referral = services.create(actor=current_user, data=data)
    return dump(RequestSchema(), referral, status=201)


@route("/requests/<int:request_id>", roles=[Role.REQUESTER, Role.COORDINATOR, Role.EXPERT],
       tag=TAG,
       summary="One request with its question text (the read is audited); an expert reads "
               "it while it is offered to them or booked for them",
       response=RequestSchema())
def get_request(request_id: int):
    """Read a request in scope (an expert's: need to know); 404 otherwise."""
    referral = queries.get_readable(current_user, request_id)
    services.read_question(actor=current_user, referral=referral)
    return dump(RequestSchema(), referral)


@route("/requests/<int:request_id>/cancel", method="POST",
       roles=[Role.REQUESTER, Role.COORDINATOR], tag=TAG,
       summary="Cancel a submitted, offered or booked request (409 when it has ended)",
       body=RequestCancelSchema(), response=RequestSummarySchema())
def cancel_request(request_id: int):
    """Cancel a request in scope with a reason."""
    referral = queries.get_for(current_user, request_id)
    data = load_json(RequestCancelSchema())
    services.cancel(actor=current_user, referral=referral, reason=data["reason"])
    return dump(RequestSummarySchema(), referral)

