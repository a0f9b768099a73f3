"""JSON API for user administration (administrators only): list, create (with an invitation
e-mail), read, change roles and municipality, deactivate, reactivate, reset two-factor login,
send a new invitation. The same services and rules as the admin's pages."""

from __future__ import annotations

from flask_login import current_user

from duidingspool.accounts import links, services
from duidingspool.accounts.models import Role
from duidingspool.accounts.schemas import RolesInputSchema, UserInputSchema, UserSchema
from duidingspool.api.core import dump, load_json, route

TAG = "users"
ADMIN = [Role.ADMIN]


@route("/users", roles=ADMIN, tag=TAG, summary="Every user account, by name",
       response=UserSchema(many=True))
def list_users():
    """List the user accounts."""
    return dump(UserSchema(many=True), services.list_users())


@route("/users", method="POST", roles=ADMIN, tag=TAG,
       summary="Add a user; they get an invitation e-mail with a single-use link (72 hours) "
               "to choose their password",
       body=UserInputSchema(), response=UserSchema(), status=201)
def create_user():
    """Create a user and send the invitation."""
    data = load_json(UserInputSchema())
    user = links.create_and_invite(actor=current_user, **data)
    return dump(UserSchema(), user, status=201)


@route("/users/<int:user_id>", roles=ADMIN, tag=TAG, summary="One user account",
       response=UserSchema())
def get_user(user_id: int):
    """Read a user account."""
    return dump(UserSchema(), services.get_user(user_id))


@route("/users/<int:user_id>/roles", method="PUT", roles=ADMIN, tag=TAG,
       summary="Replace a user's roles and (for a requester) municipality; not on your own "
               "account (409); audited with the old and new values",
       body=RolesInputSchema(), response=UserSchema())
def change_user_roles(user_id: int):
    """Change a user's roles and municipality."""
    user = services.get_user(user_id)
    data = load_json(RolesInputSchema())
    services.change_roles(actor=current_user, user=user, **data)
    return dump(UserSchema(), user)


@route("/users/<int:user_id>/deactivate", method="POST", roles=ADMIN, tag=TAG,
       summary="Deactivate a user: every session ends, calendar links and API tokens are "
               "revoked (not your own account: 409)",
       response=UserSchema())
def deactivate_user(user_id: int):
    """Deactivate a user."""
    user = services.get_user(user_id)
    services.deactivate(actor=current_user, user=user)
    return dump(UserSchema(), user)


@route("/users/<int:user_id>/reactivate", method="POST", roles=ADMIN, tag=TAG,
       summary="Let a deactivated user log in again", response=UserSchema())
def reactivate_user(user_id: int):
    """Reactivate a user."""
    user = services.get_user(user_id)
    services.reactivate(actor=current_user, user=user)
    return dump(UserSchema(), user)


@route("/users/<int:user_id>/reset-two-factor", method="POST", roles=ADMIN, tag=TAG,
       summary="Turn off a user's two-factor login (lost phone and codes); every session of "
               "the user ends (409 when it is off, or for your own account)",
       response=UserSchema())
def reset_user_two_factor(user_id: int):
    """Reset a user's two-factor login."""
    user = services.get_user(user_id)
    services.reset_two_factor(actor=current_user, user=user)
    return dump(UserSchema(), user)


@route("/users/<int:user_id>/invitation", method="POST", roles=ADMIN, tag=TAG,
       summary="Send a new invitation to a user who has not chosen a password yet (the "
               "previous link stops working; 409 otherwise)",
       response=UserSchema())
def reinvite_user(user_id: int):
    """Send a new invitation."""
    user = services.get_user(user_id)
    links.reinvite(actor=current_user, user=user)
    return dump(UserSchema(), user)
