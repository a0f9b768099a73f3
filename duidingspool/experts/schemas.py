"""Input and output shapes for expertise areas (forms and API)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate


class ExpertiseAreaSchema(Schema):
    """An expertise area: the admin form and its API shape."""

    id = fields.Integer(dump_only=True)
    code = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=50),
                  validate.Regexp(r"^[a-zA-Z0-9]+(?:[-_][a-zA-Z0-9]+)*$",
                                  error=_l("Use letters, digits and hyphens, e.g. right-wing-extremism."))],
    )
    name_nl = fields.String(required=True, validate=validate.Length(min=1, max=100))
    name_en = fields.String(required=True, validate=validate.Length(min=1, max=100))
    description = fields.String(load_default=None, validate=validate.Length(max=2000))
    is_active = fields.Boolean(dump_only=True)
