"""JSON API for expert profiles and their availability."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError as SchemaError

from duidingspool.accounts.models import Role
from duidingspool.api.core import dump, load_json, route
from duidingspool.db import utcnow
from duidingspool.errors import NotFound, ValidationFailed
from duidingspool.experts import services
from duidingspool.experts.schemas import (
    AbsenceSchema,
    AreaChoiceSchema,
    AvailabilityPutSchema,
    AvailabilitySchema,
    ExpertSchema,
    WindowSchema,
)
from duidingspool.timeutil import local_day_bounds, to_local

TAG = "experts"


def _dotted(messages, prefix: str = "") -> dict[str, list[str]]:
    """Nested marshmallow messages as {"windows.0.start": [...]}."""
    if isinstance(messages, dict):
        flat: dict[str, list[str]] = {}
        for key, value in messages.items():
            flat.update(_dotted(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    items = messages if isinstance(messages, list) else [messages]
    return {prefix or "_schema": [str(m) for m in items]}


def availability_of(expert, *, with_reasons: bool) -> dict:
    """Windows, absences and busy times from the start of today; absence reasons only when
    `with_reasons` (the expert themself), as others need the times only."""
    since = local_day_bounds(to_local(utcnow()).date())[0]
    absences = [{"id": a.id, "starts_at": a.starts_at, "ends_at": a.ends_at,
                 **({"reason": a.reason} if with_reasons else {})}
                for a in services.absences_of(expert, since=since)]
    return {"expert_id": expert.id, "windows": services.windows_of(expert),
            "absences": absences,
            "busy": services.busy_of(expert, since=since),
            "busy_calendar": bool(expert.busy_ics_url),
            "busy_refreshed_at": expert.busy_refreshed_at}


@route("/expertise-areas", roles=list(Role), tag=TAG,
       summary="The active expertise areas, with the levels a request can ask for (the "
               "ids a request's `areas` take)",
       response=AreaChoiceSchema(many=True))
def expertise_areas():
    return dump(AreaChoiceSchema(many=True), services.list_areas(include_inactive=False))


@route("/experts", roles=[Role.COORDINATOR, Role.EXPERT], tag=TAG,
       summary="Experts: all for the coordinator, only themself for an expert",
       response=ExpertSchema(many=True))
def experts_list():
    return dump(ExpertSchema(many=True), services.visible_experts(current_user))


@route("/experts/<int:expert_id>", roles=[Role.COORDINATOR, Role.EXPERT], tag=TAG,
       summary="One expert profile (an expert sees only their own)", response=ExpertSchema())
def expert_detail(expert_id: int):
    return dump(ExpertSchema(), services.get_expert_for(current_user, expert_id))


@route("/experts/<int:expert_id>/availability", roles=[Role.COORDINATOR, Role.EXPERT], tag=TAG,
       summary="Weekly windows, absences and busy times from today (times only; an absence's "
               "reason only for the expert themself)",
       response=AvailabilitySchema())
def expert_availability(expert_id: int):
    expert = services.get_expert_for(current_user, expert_id)
    own = expert.user_id == current_user.id
    return dump(AvailabilitySchema(), availability_of(expert, with_reasons=own))


@route("/experts/<int:expert_id>/availability", method="PUT", roles=[Role.EXPERT], tag=TAG,
       summary="Replace the caller's own weekly windows and absences",
       body=AvailabilityPutSchema(), response=AvailabilitySchema())
def expert_availability_put(expert_id: int):
    expert = _own(expert_id)
    try:
        data = load_json(AvailabilityPutSchema())
    except SchemaError as exc:
        raise ValidationFailed(_("Some fields are not filled in correctly."),
                               fields=_dotted(exc.messages)) from exc
    services.replace_availability(actor=current_user, expert=expert, **data)
    return dump(AvailabilitySchema(), availability_of(expert, with_reasons=True))


def _own(expert_id: int):
    """The caller's own expert profile when it is `expert_id`; NotFound otherwise."""
    expert = services.own_expert(current_user)
    if expert.id != expert_id:
        raise NotFound(_("Expert not found."))
    return expert


@route("/experts/<int:expert_id>/availability/windows", method="POST", roles=[Role.EXPERT],
       tag=TAG, summary="Add one weekly window to the caller's own availability (422 when it "
                        "overlaps another window that day)",
       body=WindowSchema(), response=WindowSchema(), status=201)
def expert_window_add(expert_id: int):
    expert = _own(expert_id)
    window = services.add_window(actor=current_user, expert=expert,
                                 **load_json(WindowSchema()))
    return dump(WindowSchema(), window, 201)


@route("/experts/<int:expert_id>/availability/windows/<int:window_id>", method="DELETE",
       roles=[Role.EXPERT], tag=TAG, summary="Remove one of the caller's own weekly windows",
       status=204)
def expert_window_remove(expert_id: int, window_id: int):
    services.remove_window(actor=current_user, expert=_own(expert_id), window_id=window_id)
    return "", 204


@route("/experts/<int:expert_id>/availability/absences", method="POST", roles=[Role.EXPERT],
       tag=TAG, summary="Add one absence (from-to) to the caller's own availability",
       body=AbsenceSchema(), response=AbsenceSchema(), status=201)
def expert_absence_add(expert_id: int):
    expert = _own(expert_id)
    absence = services.add_absence(actor=current_user, expert=expert,
                                   **load_json(AbsenceSchema()))
    return dump(AbsenceSchema(), absence, 201)


@route("/experts/<int:expert_id>/availability/absences/<int:absence_id>", method="DELETE",
       roles=[Role.EXPERT], tag=TAG, summary="Remove one of the caller's own absences",
       status=204)
def expert_absence_remove(expert_id: int, absence_id: int):
    services.remove_absence(actor=current_user, expert=_own(expert_id), absence_id=absence_id)
    return "", 204
