"""The filter of the audit trail search (query string of the page and of the CSV export)."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from flask_babel import lazy_gettext as _l


class AuditFilterSchema(Schema):
    """Who (user), which object (type and id) and which period (local days, inclusive)."""

    user_id = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1))
    object_type = fields.String(load_default=None, allow_none=True,
                                validate=validate.Regexp(r"^[a-z_]{1,50}$",
                                                         error=_l("Choose a known object type.")))
    object_id = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1))
    date_from = fields.Date(load_default=None, allow_none=True)
    date_to = fields.Date(load_default=None, allow_none=True)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))

    @validates_schema
    def check_period(self, data, **kwargs):
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            raise ValidationError(_l("The end lies before the start."), field_name="date_to")
