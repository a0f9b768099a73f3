"""Input and output shapes of the on-call rota (the coordinator's forms and the API)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from duidingspool.oncall.models import OverrideKind


class PatternSchema(Schema):
    """The weekly pattern: the first week and the experts in turn."""

    starts_on = fields.Date(required=True, error_messages={
        "required": _l("Give the first week of the rota."),
        "invalid": _l("Give a date, e.g. 2026-11-23.")})
    expert_ids = fields.List(fields.Integer(), load_default=list)


class OverrideSchema(Schema):
    """One week given to another expert, or to nobody (no expert_id)."""

    week_start = fields.Date(required=True, error_messages={
        "required": _l("Choose a week."), "invalid": _l("Give a date, e.g. 2026-11-23.")})
    expert_id = fields.Integer(load_default=None, allow_none=True)
    kind = fields.String(load_default=OverrideKind.OTHER,
                         validate=validate.OneOf([k.value for k in OverrideKind],
                                                 error=_l("Choose holiday, swap or other.")))


class RotaQuerySchema(Schema):
    weeks = fields.Integer(load_default=8, validate=validate.Range(min=1, max=104),
                           metadata={"description": "How many weeks from this week"})


class DutyWeekSchema(Schema):
    week_start = fields.Date(metadata={"description": "The week's Monday (Europe/Amsterdam)"})
    week_number = fields.Integer(metadata={"description": "ISO week number"})
    expert_id = fields.Integer(allow_none=True,
                               metadata={"description": "On duty; null: a gap, nobody"})
    expert_name = fields.String(allow_none=True)
    source = fields.String(metadata={"description": "pattern, override or none"})
    override_kind = fields.String(allow_none=True,
                                  metadata={"description": "holiday, swap or other"})


class RotaSchema(Schema):
    starts_on = fields.Date(allow_none=True,
                            metadata={"description": "The pattern's first week"})
    expert_ids = fields.List(fields.Integer(), metadata={"description": "The pattern in turn"})
    weeks = fields.List(fields.Nested(DutyWeekSchema()))
    gaps = fields.Integer(metadata={"description": "Weeks without anyone on duty among them"})
