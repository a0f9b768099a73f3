"""JSON API of the on-call rota: who is on duty, week by week."""

from __future__ import annotations

from flask import request

from duidingspool.accounts.models import Role
from duidingspool.api.core import dump, route
from duidingspool.db import utcnow
from duidingspool.oncall import services
from duidingspool.oncall.schemas import RotaQuerySchema, RotaSchema
from duidingspool.timeutil import local_date

TAG = "on-call rota"


@route("/rota", roles=[Role.COORDINATOR, Role.EXPERT], tag=TAG,
       summary="The on-call rota from this week: who is on duty for urgent requests each "
               "week (pattern or override), and the weeks without anyone",
       query=RotaQuerySchema(), response=RotaSchema())
def rota():
    weeks = RotaQuerySchema().load(request.args).get("weeks", 8)
    duty = services.duty_weeks(local_date(utcnow()), weeks)
    pattern = services.get_rota()
    return dump(RotaSchema(), {
        "starts_on": pattern.starts_on if pattern else None,
        "expert_ids": [m.expert_id for m in services.members()],
        "weeks": duty, "gaps": sum(week.is_gap for week in duty)})
