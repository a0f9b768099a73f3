"""JSON API for hour lines: the expert records and submits, the coordinator decides."""

from __future__ import annotations

from flask_login import current_user

from duidingspool.accounts.models import Role
from duidingspool.api.core import dump, load_json, route
from duidingspool.hours import services
from duidingspool.hours.schemas import (
    BulkDecisionSchema,
    HourLineInSchema,
    HourLineSchema,
    RejectSchema,
)

TAG = "hours"


@route("/bookings/<int:booking_id>/hours", roles=[Role.EXPERT, Role.COORDINATOR], tag=TAG,
       summary="The booking's hour lines (an expert only on their own bookings)",
       response=HourLineSchema(many=True))
def booking_hours(booking_id: int):
    booking = services.get_booking_for_hours(current_user, booking_id)
    return dump(HourLineSchema(many=True), services.lines_of(booking))


@route("/bookings/<int:booking_id>/hours", method="POST", roles=[Role.EXPERT], tag=TAG,
       summary="Record an hour line on one's own booking (a draft, or submitted with "
               "submit=true)", body=HourLineInSchema(), response=HourLineSchema(), status=201)
def booking_hours_create(booking_id: int):
    booking = services.get_booking_for_hours(current_user, booking_id)
    data = load_json(HourLineInSchema())
    line = services.add_line(actor=current_user, booking=booking, **data)
    return dump(HourLineSchema(), line, 201)


@route("/hours/<int:line_id>", roles=[Role.EXPERT, Role.COORDINATOR], tag=TAG,
       summary="One hour line", response=HourLineSchema())
def hour_line_detail(line_id: int):
    return dump(HourLineSchema(), services.get_line_for(current_user, line_id))


@route("/hours/<int:line_id>", method="PUT", roles=[Role.EXPERT], tag=TAG,
       summary="Change a draft or rejected line (it becomes a draft again)",
       body=HourLineInSchema(), response=HourLineSchema())
def hour_line_update(line_id: int):
    line = services.get_line_for(current_user, line_id)
    data = load_json(HourLineInSchema())
    submit = data.pop("submit")
    services.update_line(actor=current_user, line=line, **data)
    if submit:
        services.submit_line(actor=current_user, line=line)
    return dump(HourLineSchema(), line)


@route("/hours/<int:line_id>", method="DELETE", roles=[Role.EXPERT], tag=TAG,
       summary="Delete a draft or rejected line of one's own booking (409 once submitted)",
       status=204)
def hour_line_delete(line_id: int):
    line = services.get_line_for(current_user, line_id)
    services.delete_line(actor=current_user, line=line)
    return "", 204


@route("/hours/decisions", method="POST", roles=[Role.COORDINATOR], tag=TAG,
       summary="Approve or reject several submitted lines at once: all of them or none (a "
               "reason is needed to reject; nobody decides on their own hours)",
       body=BulkDecisionSchema(), response=HourLineSchema(many=True))
def hour_lines_decide():
    data = load_json(BulkDecisionSchema())
    lines = services.decide_many(actor=current_user, line_ids=data["line_ids"],
                                 approve_them=data["decision"] == "approve",
                                 reason=data.get("reason"))
    return dump(HourLineSchema(many=True), lines)


@route("/hours/<int:line_id>/submit", method="POST", roles=[Role.EXPERT], tag=TAG,
       summary="Submit a draft or rejected line; its amount is fixed now",
       response=HourLineSchema())
def hour_line_submit(line_id: int):
    line = services.get_line_for(current_user, line_id)
    services.submit_line(actor=current_user, line=line)
    return dump(HourLineSchema(), line)


@route("/hours/<int:line_id>/approve", method="POST", roles=[Role.COORDINATOR], tag=TAG,
       summary="Approve a submitted line (locked from then on)", response=HourLineSchema())
def hour_line_approve(line_id: int):
    line = services.get_line_for(current_user, line_id)
    services.approve(actor=current_user, line=line)
    return dump(HourLineSchema(), line)


@route("/hours/<int:line_id>/reject", method="POST", roles=[Role.COORDINATOR], tag=TAG,
       summary="Reject a submitted line with a reason", body=RejectSchema(),
       response=HourLineSchema())
def hour_line_reject(line_id: int):
    line = services.get_line_for(current_user, line_id)
    data = load_json(RejectSchema())
    services.reject(actor=current_user, line=line, reason=data["reason"])
    return dump(HourLineSchema(), line)
