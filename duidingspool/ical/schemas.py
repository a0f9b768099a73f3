"""Shape of the "create or renew a calendar link" form."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from duidingspool.ical.models import FeedScope


class FeedCreateSchema(Schema):
    """Which feed to create (or rotate): the expert's, a case table's or all bookings."""

    scope = fields.String(required=True, validate=validate.OneOf([s.value for s in FeedScope]))
    case_table_id = fields.Integer(load_default=None, allow_none=True, strict=False,
                                   validate=validate.Range(min=1))
