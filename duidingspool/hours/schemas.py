"""Shapes of hour lines, in (the form and the API) and out."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, post_load, validate

from duidingspool.hours.models import HourCategory, HourStatus

_HMM = re.compile(r"^(\d{1,2}):([0-5]\d)$")


def parse_hours(value) -> int:
    """Hours as a decimal ("1.5", "1,5", 1.5) or as h:mm ("1:30"), in whole minutes."""
    text = str(value).strip()
    match = _HMM.match(text)
    if match:
        minutes = int(match.group(1)) * 60 + int(match.group(2))
    else:
        try:
            hours = Decimal(text.replace(",", "."))
        except InvalidOperation:
            raise ValidationError(_("Give hours as 1.5 or 1:30.")) from None
        if not hours.is_finite():
            raise ValidationError(_("Give hours as 1.5 or 1:30."))
        minutes_exact = hours * 60
        if minutes_exact != minutes_exact.to_integral_value():
            raise ValidationError(_("Give hours in whole minutes."))
        minutes = int(minutes_exact)
    if not 0 < minutes <= 1440:
        raise ValidationError(_("Give more than 0 and at most 24 hours."))
    return minutes


class Hours(fields.Field):
    """Hours typed as 1.5, 1,5 or 1:30; loads to minutes."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise ValidationError(_("Give hours as 1.5 or 1:30."))
        return parse_hours(value)


def _hmm(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


class HourLineInSchema(Schema):
    """A line as the expert records it."""

    category = fields.String(required=True,
                             validate=validate.OneOf([c.value for c in HourCategory]))
    hours = Hours(required=True, metadata={"type": "string", "example": "1:30",
                                            "description": "decimal hours or h:mm"})
    kilometres = fields.Decimal(load_default=None, allow_none=True, places=1,
                                validate=validate.Range(min=0, max=99999),
                                metadata={"type": "number", "minimum": 0, "maximum": 99999})
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    submit = fields.Boolean(load_default=False,
                            metadata={"description": "submit at once instead of saving a draft"})

    @post_load
    def to_service(self, data, **kwargs):
        data["minutes"] = data.pop("hours")
        return data


class RejectSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class BulkDecisionSchema(Schema):
    """Approve or reject several submitted lines at once."""

    line_ids = fields.List(fields.Integer(strict=False), required=True,
                           validate=validate.Length(min=1, max=500))
    decision = fields.String(required=True, validate=validate.OneOf(["approve", "reject"]))
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class HourLineSchema(Schema):
    id = fields.Integer()
    booking_id = fields.Integer()
    category = fields.String(validate=validate.OneOf([c.value for c in HourCategory]))
    minutes = fields.Integer()
    hours = fields.Function(lambda line: _hmm(line.minutes), metadata={"type": "string"})
    kilometres = fields.Decimal(as_string=True, allow_none=True)
    note = fields.String(allow_none=True)
    status = fields.String(validate=validate.OneOf([s.value for s in HourStatus]))
    amount = fields.Decimal(as_string=True, allow_none=True,
                            metadata={"description": "euros, fixed at submission and approval"})
    submitted_at = fields.AwareDateTime(allow_none=True)
    decided_at = fields.AwareDateTime(allow_none=True)
    reject_reason = fields.String(allow_none=True)
