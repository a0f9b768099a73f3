"""JSON API for case tables and their sessions."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import RAISE, ValidationError

from duidingspool.accounts.models import Role
from duidingspool.api.core import dump, load_json, route
from duidingspool.casetables import queries, services
from duidingspool.casetables.schemas import (
    CancelSittingSchema,
    CaseTableSchema,
    IcsUrlSchema,
    ImportResultSchema,
    MoveSittingSchema,
    SittingQuerySchema,
    SittingSchema,
)
from duidingspool.db import utcnow
from duidingspool.timeutil import local_day_bounds

CALENDAR_TYPES = ("text/calendar", "application/ics", "text/x-vcalendar")


@route("/case-tables", roles=[Role.REQUESTER, Role.COORDINATOR, Role.ADMIN],
       summary="List the case tables you may see (a requester: their municipality's)",
       tag="case-tables", response=CaseTableSchema(many=True))
def list_case_tables():
    """The case tables visible to the caller."""
    return dump(CaseTableSchema(many=True), queries.list_case_tables_for(current_user))


@route("/case-tables/<int:case_table_id>/sessions",
       roles=[Role.REQUESTER, Role.COORDINATOR, Role.ADMIN],
       summary="List a case table's sessions from now (or the local day `from`) up to the "
               "local day `to` (inclusive)",
       tag="case-tables", query=SittingQuerySchema(), response=SittingSchema(many=True))
def list_sessions(case_table_id: int):
    """Sessions of a visible case table; 404 for one the caller may not see."""
    table = queries.get_case_table_for(current_user, case_table_id)
    params = SittingQuerySchema().load(request.args.to_dict(), unknown=RAISE)
    # Without `from` the list starts now: past sessions only when asked for.
    start = local_day_bounds(params["from_"])[0] if params["from_"] else utcnow()
    end = local_day_bounds(params["to"])[1] if params["to"] else None
    return dump(SittingSchema(many=True), queries.sittings_between(table, start=start, end=end))


@route("/case-tables/<int:case_table_id>/sessions/import", method="POST",
       roles=[Role.COORDINATOR, Role.ADMIN],
       summary="Import sessions from an ICS file (send text/calendar) or from a URL (JSON)",
       tag="case-tables", body=IcsUrlSchema(), response=ImportResultSchema(),
       raw_bodies={t: "An iCalendar (RFC 5545) file" for t in CALENDAR_TYPES})
def import_sessions(case_table_id: int):
    """Import the sessions of an ICS body or URL; 422 and no change for a malformed file."""
    table = queries.get_case_table_for(current_user, case_table_id)
    if request.mimetype in CALENDAR_TYPES:
        data = request.get_data(cache=False)
        if not data:
            raise ValidationError({"file": [_("Send the calendar as the request body.")]})
        result = services.import_ics(actor=current_user, case_table=table, data=data)
    else:
        payload = load_json(IcsUrlSchema())
        result = services.import_ics_url(actor=current_user, case_table=table,
                                         url=payload["url"])
    return dump(ImportResultSchema(), result)


@route("/case-tables/<int:case_table_id>/sessions/<int:sitting_id>/move", method="POST",
       roles=[Role.COORDINATOR, Role.ADMIN],
       summary="Move a session to another local date and time or place; its bookings follow "
               "(new time and sequence; 409 when the booked expert has another booking then)",
       tag="case-tables", body=MoveSittingSchema(), response=SittingSchema())
def move_session(case_table_id: int, sitting_id: int):
    """Move a session of a visible case table."""
    table = queries.get_case_table_for(current_user, case_table_id)
    sitting = queries.get_sitting(table, sitting_id)
    data = load_json(MoveSittingSchema())
    return dump(SittingSchema(), services.move_sitting(actor=current_user, sitting=sitting,
                                                       **data))


@route("/case-tables/<int:case_table_id>/sessions/<int:sitting_id>/cancel", method="POST",
       roles=[Role.COORDINATOR, Role.ADMIN],
       summary="Cancel a session with a reason; its open requests and bookings are cancelled",
       tag="case-tables", body=CancelSittingSchema(), response=SittingSchema())
def cancel_session(case_table_id: int, sitting_id: int):
    """Cancel a session of a visible case table."""
    table = queries.get_case_table_for(current_user, case_table_id)
    sitting = queries.get_sitting(table, sitting_id)
    data = load_json(CancelSittingSchema())
    return dump(SittingSchema(), services.cancel_sitting(actor=current_user, sitting=sitting,
                                                         **data))
