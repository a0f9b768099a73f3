"""Input and output shapes of user administration (the admin's forms and the API), the
confirmation step of the admin's buttons."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from duidingspool.accounts.models import Role
from duidingspool.schema_defaults import Label

ROLE_VALUES = [r.value for r in Role]


def _roles_field(**kwargs):
    return fields.List(fields.String(validate=validate.OneOf(ROLE_VALUES)),
                       validate=validate.Length(min=1, max=len(ROLE_VALUES)), **kwargs)


def _municipality_field():
    return fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1),
                          metadata={"description": "The municipality of a requester "
                                                   "(ignored for other roles)"})


class UserInputSchema(Schema):
    """A new user: the admin's form and `POST /api/v1/users`. The user gets an invitation
    e-mail with a link to choose their password."""

    email = fields.Email(required=True, validate=validate.Length(max=254))
    name = Label(required=True, validate=validate.Length(min=1, max=200))
    roles = _roles_field(required=True)
    municipality_id = _municipality_field()
    locale = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(["nl", "en"]),
                           metadata={"description": "Language of the user's e-mails and pages "
                                                    "(default nl)"})


class RolesInputSchema(Schema):
    """A user's roles and (for a requester) municipality, replaced as a whole."""

    roles = _roles_field(required=True)
    municipality_id = _municipality_field()


class UserSchema(Schema):
    """A user account as administrators see it (never a password or secret)."""

    id = fields.Integer(dump_only=True)
    email = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    roles = fields.Method("_roles", dump_only=True,
                          metadata={"type": "array", "items": {"type": "string",
                                                               "enum": ROLE_VALUES}})
    municipality_id = fields.Integer(dump_only=True, allow_none=True)
    locale = fields.String(dump_only=True, allow_none=True)
    is_active = fields.Boolean(attribute="is_enabled", dump_only=True)
    has_password = fields.Boolean(dump_only=True,
                                  metadata={"description": "False until an invited user has "
                                                           "chosen a password"})
    two_factor_enabled = fields.Boolean(attribute="totp_enabled", dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    last_login_at = fields.DateTime(dump_only=True, allow_none=True)

    def _roles(self, user) -> list[str]:
        return sorted(r.value for r in user.role_names)


class ConfirmSchema(Schema):
    """The confirmation step of an admin's change: nothing happens without `confirm`."""

    confirm = fields.String(required=True,
                            error_messages={"required": _l("Confirm the change first.")},
                            validate=validate.Equal("yes", error=_l("Confirm the change first.")))
