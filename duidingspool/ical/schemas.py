"""Shape of the "create or renew a calendar link" form."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from duidingspool.ical.models import FeedScope


class FeedCreateSchema(Schema):
    """Which feed to create (or rotate): the expert's, a case table's or all bookings."""

    scope = fields.String(required=True, validate=validate.OneOf([s.value for s in FeedScope]))
    case_table_id = fields.Integer(load_default=None, allow_none=True, strict=False,
                                   validate=validate.Range(min=1))


class FeedSchema(Schema):
    """A live subscription, without its URL (which exists only as a hash)."""

    id = fields.Integer()
    created_at = fields.AwareDateTime()


class FeedSlotSchema(Schema):
    """A calendar feed the caller may have, and its live subscription (or null)."""

    scope = fields.String(validate=validate.OneOf([s.value for s in FeedScope]))
    case_table_id = fields.Function(lambda slot: slot.case_table.id if slot.case_table else None,
                                    metadata={"type": "integer", "nullable": True})
    case_table_name = fields.Function(
        lambda slot: slot.case_table.name if slot.case_table else None,
        metadata={"type": "string", "nullable": True})
    feed = fields.Nested(FeedSchema, allow_none=True)


class FeedCreatedSchema(Schema):
    """A new subscription with its secret URL, shown this once."""

    id = fields.Integer()
    scope = fields.String()
    case_table_id = fields.Integer(allow_none=True)
    created_at = fields.AwareDateTime()
    url = fields.String(metadata={"description": "The https subscription URL (secret)"})
    webcal_url = fields.String(metadata={"description": "The same as webcal://"})
