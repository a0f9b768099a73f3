"""The HTML and HTTP edge shared by every feature: errors, filters, headers, form loading."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, current_app, flash, jsonify, render_template, request, session
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from marshmallow import EXCLUDE, Schema
from marshmallow import ValidationError as SchemaError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from duidingspool import formats, ui
from duidingspool.accounts.access import (authenticated_by_bearer, is_api_request,
                                          owes_second_factor)
from duidingspool.audit.services import remote_addr_var
from duidingspool.errors import Conflict, DomainError, ValidationFailed
from duidingspool.extensions import csrf, db
from duidingspool.schema_defaults import DB_INT_MAX
from duidingspool.timeutil import to_local


class DbIntConverter(IntegerConverter):
    """`<int:...>` in URLs, limited to what an INTEGER column holds (larger ids: no route)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", DB_INT_MAX)
        super().__init__(url_map, *args, **kwargs)


def page_number() -> int:
    """The `?page=` of a paged list: 1 when it is missing, unreadable or below 1, and never
    so large that its offset overflows the database's integers (it then shows an empty page,
    as any page past the last)."""
    page = request.args.get("page", 1, type=int) or 1
    return min(max(page, 1), DB_INT_MAX)


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    """The stable JSON error shape of the API."""
    return {"error": {"code": code, "message": str(message), "fields": fields or {}}}


def json_error(status: int, code: str, message, fields: dict | None = None):
    response = jsonify(error_body(code, message, fields))
    response.status_code = status
    return response


def load_form(schema: Schema, form=None) -> dict:
    """Load an HTML form through a marshmallow schema (the API's own schema).

    List fields take every value of a repeated form field; empty strings count as missing,
    as a browser sends "" for an empty input. Raises marshmallow's ValidationError.
    """
    form = request.form if form is None else form
    data: dict = {}
    for name, field in schema.fields.items():
        key = field.data_key or name
        if field.dump_only or key not in form:
            continue
        if getattr(field, "inner", None) is not None:  # fields.List
            values = [v for v in form.getlist(key) if v != ""]
            data[key] = values
        else:
            value = form.get(key, "").strip()
            if value != "":
                data[key] = value
    return schema.load(data, unknown=EXCLUDE)


def field_errors(exc: SchemaError | DomainError) -> dict[str, list[str]]:
    """Field messages of a schema or domain error, flattened to lists of strings."""
    messages = exc.messages if isinstance(exc, SchemaError) else exc.fields
    if not isinstance(messages, dict):
        return {"_schema": [str(m) for m in (messages if isinstance(messages, list) else [messages])]}
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        if isinstance(value, dict):
            flat[str(key)] = [str(m) for sub in value.values() for m in
                              (sub if isinstance(sub, list) else [sub])]
        elif isinstance(value, list):
            flat[str(key)] = [str(m) for m in value]
        else:
            flat[str(key)] = [str(value)]
    return flat


# What a view shows on its own page: a business rule refused the input or clashes with the
# state of things; the form is shown again with what the user typed and the messages
# (`rejected`), or a button's page says why (`refused`). Other domain errors (NotFound,
# Forbidden) answer with their status through the error handlers, revealing nothing.
REFUSALS = (ValidationFailed, Conflict)
INPUT_ERRORS = (SchemaError, *REFUSALS)


def rejected(exc: SchemaError | DomainError, *, field: str = "_schema") -> dict:
    """Undo the refused attempt and say what the form shows again: `errors` per field (the
    message of a domain error without fields at `field`) and the HTTP `status`."""
    db.session.rollback()
    errors = field_errors(exc)
    if isinstance(exc, DomainError) and not errors:
        errors = {field: [exc.message]}
    return {"errors": errors, "status": exc.status if isinstance(exc, DomainError) else 422}


def refused(exc: DomainError) -> None:
    """Undo the refused action of a button (no form to show again) and say why on the page
    the user is sent back to."""
    db.session.rollback()
    flash(exc.message, "error")


def _localtime(value: datetime | None, fmt: str = "EEEE d MMMM y HH:mm") -> str:
    if value is None:
        return ""
    return format_datetime(to_local(value), fmt, rebase=False)


def _localdate(value: date | datetime | None, fmt: str = "d MMMM y") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value).date()
    return format_date(value, fmt)


def _money(amount, whole: bool = False) -> str:
    """An amount in euros the way the interface language writes it (€ 1.250,00 in Dutch)."""
    return formats.money(amount, whole=whole)


def _audit_filters(app: Flask) -> None:
    from duidingspool.audit import labels

    app.jinja_env.filters["audit_action"] = labels.action_label
    app.jinja_env.filters["audit_object"] = labels.object_label
    app.jinja_env.filters["audit_details"] = labels.details_in_words


def _route_exists(exc: MethodNotAllowed) -> bool:
    """Whether the URL of a 405 really exists for another method.

    Werkzeug answers 405 when a rule's pattern matched but its converter refused the value
    (e.g. an id too large for the database) and a rule for another method exists; that URL
    exists for no method, so it is a 404.
    """
    adapter = current_app.url_map.bind_to_environ(request.environ)
    for method in exc.valid_methods or ():
        try:
            adapter.match(method=method)
        except HTTPException:
            continue
        return True
    return False


def init_app(app: Flask) -> None:
    """Install the edge: must run before the blueprints are registered (URL converter)."""
    app.url_map.converters["int"] = DbIntConverter
    trusted = int(app.config.get("TRUSTED_PROXIES") or 0)
    if trusted > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted, x_proto=trusted, x_host=trusted)
    app.jinja_env.filters["localtime"] = _localtime
    app.jinja_env.filters["localdate"] = _localdate
    app.jinja_env.filters["hours"] = formats.hours
    app.jinja_env.filters["money"] = _money
    app.jinja_env.filters["number"] = formats.number
    app.jinja_env.filters["percent"] = formats.percent
    app.jinja_env.filters["language_name"] = formats.language_name
    _audit_filters(app)
    ui.init_app(app)

    @app.before_request
    def remember_remote_addr():
        remote_addr_var.set(request.remote_addr)

    @app.before_request
    def csrf_gate():
        """Every write needs a CSRF token (form field or X-CSRFToken header), except API
        calls that authenticate with a bearer token, which a browser never sends by itself."""
        if not app.config["WTF_CSRF_ENABLED"] or request.method in ("GET", "HEAD", "OPTIONS"):
            return
        # Only a bearer token that actually authenticated this request counts (a junk
        # header next to a session cookie must not switch the check off).
        if is_api_request() and current_user.is_authenticated and authenticated_by_bearer():
            return
        csrf.protect()

    @app.context_processor
    def inject_user_roles():
        roles = current_user.role_names if current_user.is_authenticated else set()
        # While the second factor is owed, the header offers only that step and logging out.
        pending = current_user.is_authenticated and owes_second_factor(current_user)
        return {"user_roles": {r.value for r in roles}, "current_locale": str(get_locale()),
                "second_factor_pending": pending}

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
        )
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy",
                                    "camera=(), microphone=(), geolocation=(), payment=()")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security",
                                        "max-age=31536000; includeSubDomains")
        # Pages of a logged-in user (casework) stay out of browser and proxy caches, unless
        # the view chose its own caching (calendar feeds, static files).
        if "Cache-Control" not in response.headers and "_user_id" in session:
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(DomainError)
    def handle_domain_error(exc: DomainError):
        if is_api_request():
            return json_error(exc.status, exc.code, exc.message, field_errors(exc))
        return render_template("error.html", status=exc.status, message=exc.message), exc.status

    @app.errorhandler(CSRFError)
    def handle_csrf_error(exc: CSRFError):
        message = _l("The form has expired or was not sent from this site. "
                     "Reload the page and try again.")
        if is_api_request():
            return json_error(400, "csrf_failed", _l("Missing or invalid CSRF token: send "
                                                     "X-CSRFToken, or use a bearer token."))
        return render_template("error.html", status=400, message=message), 400

    @app.errorhandler(SchemaError)
    def handle_schema_error(exc: SchemaError):
        message = _l("Some fields are not filled in correctly.")
        if is_api_request():
            return json_error(422, "validation_error", message, field_errors(exc))
        return render_template("error.html", status=422, message=message), 422

    @app.errorhandler(HTTPException)
    def handle_http_error(exc: HTTPException):
        if exc.code == 405 and not _route_exists(exc):
            exc = NotFound()
        messages = {
            400: _l("The request could not be understood."),
            403: _l("You do not have access to this page."),
            404: _l("This page does not exist or is not available to you."),
            405: _l("This method is not allowed here."),
            413: _l("The upload is too large."),
            429: _l("Too many attempts; try again later."),
        }
        message = messages.get(exc.code, exc.description)
        if is_api_request():
            code = (exc.name or "error").lower().replace(" ", "_")
            return json_error(exc.code or 500, code, message)
        return render_template("error.html", status=exc.code, message=message), exc.code

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        message = _l("Something went wrong on our side; nothing was saved.")
        if is_api_request():
            return json_error(500, "internal_error", message)
        return render_template("error.html", status=500, message=message), 500
