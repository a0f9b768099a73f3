"""Access control: every endpoint is denied unless it declares who may use it.

Views declare their audience with `@roles_required(Role.X, ...)`, `@login_required_any`
or `@public`. A central check runs before every request; an endpoint without a
declaration answers 404 to everyone, so a forgotten decorator fails closed.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from flask import Flask, abort, flash, jsonify, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user
from sqlalchemy import select

from duidingspool.accounts.models import ApiToken, Role, User
from duidingspool.db import utcnow
from duidingspool.extensions import db, login_manager

PUBLIC = "public"
ANY_USER = "any_user"
# Flask's own endpoints that carry no app data.
_BUILTIN_PUBLIC = {"static"}
# What a user who still owes the second factor may reach (besides public pages).
_BEFORE_SECOND_FACTOR = {"accounts.two_factor_verify", "accounts.two_factor_setup",
                         "accounts.logout"}


def _declare(audience):
    def decorator(view):
        view.allowed_roles = audience
        return view

    return decorator


def roles_required(*roles: Role):
    """Allow the view to users holding at least one of `roles`."""
    return _declare(frozenset(roles))


public = _declare(PUBLIC)
login_required_any = _declare(ANY_USER)


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The session's user, if enabled and the session is of the user's current version."""
    from duidingspool.accounts import sessions

    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_enabled or not sessions.version_matches(user):
        return None
    return user


@login_manager.request_loader
def load_user_from_bearer(req) -> User | None:
    """API requests may authenticate with `Authorization: Bearer <token>`."""
    header = req.headers.get("Authorization", "")
    if not req.path.startswith("/api/") or not header.lower().startswith("bearer "):
        return None
    raw = header[7:].strip()
    if not raw:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    now = utcnow()
    if token is None or token.revoked_at or (token.expires_at and token.expires_at <= now):
        return None
    if not token.user.is_enabled:
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        token.last_used_at = now  # committed with the request's unit of work
    req.environ["duidingspool.bearer"] = True
    return token.user


def authenticated_by_bearer() -> bool:
    return bool(request.environ.get("duidingspool.bearer"))


@login_manager.unauthorized_handler
def unauthorized():
    if is_api_request():
        return _json_error(401, "unauthorized", _l("Log in or send a valid API token."))
    if "_user_id" in session:
        from duidingspool.accounts import sessions

        # A session ended elsewhere (logout, password change, deactivation): say so once.
        sessions.clear()
        flash(_l("You have been logged out. Log in again."), "info")
    return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))


def _json_error(status: int, code: str, message):
    response = jsonify({"error": {"code": code, "message": str(message), "fields": {}}})
    response.status_code = status
    return response


def _end_idle_session() -> None:
    """Log out a session that has been idle too long (before anything else looks at it)."""
    from duidingspool.accounts import sessions

    if sessions.idle_expired():
        logout_user()
        sessions.clear()
        flash(_l("Your session has expired; log in again."), "info")


def owes_second_factor(user: User) -> bool:
    """True while this session still has to give a second factor."""
    from duidingspool.accounts import sessions

    if authenticated_by_bearer() or sessions.second_factor_done():
        return False
    return user.totp_enabled or user.requires_two_factor


def _second_factor_gate():
    if is_api_request():
        return _json_error(401, "two_factor_required",
                           _l("Complete two-factor login in the browser first."))
    endpoint = "accounts.two_factor_verify" if current_user.totp_enabled else \
        "accounts.two_factor_setup"
    return redirect(url_for(endpoint))


def check_access():
    """Runs before every request: the deny-by-default gate."""
    if request.endpoint is None:
        return None  # Flask answers 404 / 405 itself
    if request.endpoint in _BUILTIN_PUBLIC:
        return None
    from flask import current_app

    from duidingspool.accounts import sessions

    _end_idle_session()
    view = current_app.view_functions.get(request.endpoint)
    audience = getattr(view, "allowed_roles", None)
    if audience is None:
        abort(404)
    if current_user.is_authenticated and not authenticated_by_bearer():
        sessions.touch()
    if audience == PUBLIC:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if owes_second_factor(current_user) and request.endpoint not in _BEFORE_SECOND_FACTOR:
        return _second_factor_gate()
    if audience == ANY_USER or current_user.role_names & audience:
        return None
    if any(name.endswith("_id") for name in request.view_args or {}):
        # A URL naming an object (a request's hours, an offer, ...) that the role may not
        # use answers like an object out of scope: 404, never revealing that it exists.
        if is_api_request():
            return _json_error(404, "not_found", _l("Not found."))
        abort(404)
    if is_api_request():
        return _json_error(403, "forbidden", _l("Your role does not allow this."))
    abort(403)


def init_app(app: Flask) -> None:
    from duidingspool.accounts import throttle

    login_manager.login_view = "accounts.login"
    login_manager.session_protection = "basic"
    throttle.init_app(app)
    app.before_request(check_access)
