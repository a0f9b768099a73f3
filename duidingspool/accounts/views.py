"""Login (password, then the second factor), logout, the account's security page, the admin's
user list, language choice and the start page."""

from __future__ import annotations

from urllib.parse import urlsplit

import segno
from flask import (Blueprint, current_app, flash, redirect, render_template, request, session,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from duidingspool import signals
from duidingspool.accounts import services, sessions, throttle, twofactor
from duidingspool.accounts.access import (login_required_any, owes_second_factor, public,
                                          roles_required)
from duidingspool.accounts.models import Role
from duidingspool.web import INPUT_ERRORS, REFUSALS, refused, rejected

bp = Blueprint("accounts", __name__)


def _safe_next(target: str | None) -> str | None:
    """Only local paths are followed after login (no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return None  # browsers read "/\\evil.example" as "//evil.example"
    return target


def _too_many(template: str, seconds: int, **context):
    """The form again with a 429 and how long to wait."""
    minutes = max(1, -(-seconds // 60))
    message = _("Too many failed attempts. For your safety, logging in is blocked for this "
                "account or address; try again in %(minutes)d minutes.", minutes=minutes)
    flash(message, "error")
    response = current_app.make_response(render_template(template, **context))
    response.status_code = 429
    response.headers["Retry-After"] = str(seconds)
    return response


def _after_second_factor():
    return redirect(session.pop(sessions.NEXT_KEY, None) or url_for("accounts.home"))


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Show the login form and log the user in (the second factor follows if needed)."""
    if current_user.is_authenticated:
        return redirect(url_for("accounts.home"))
    email = request.form.get("email", "").strip()
    if request.method == "POST":
        address = request.remote_addr
        wait = throttle.login_blocked(email=email, address=address)
        if wait is not None:
            return _too_many("accounts/login.html", wait, email=email)
        user = services.authenticate(email=email, password=request.form.get("password", ""))
        if user is not None:
            session.clear()
            login_user(user)
            sessions.start(user, second_factor=False)
            target = _safe_next(request.args.get("next"))
            if owes_second_factor(user):
                if target:
                    session[sessions.NEXT_KEY] = target
                endpoint = ("accounts.two_factor_verify" if user.totp_enabled
                            else "accounts.two_factor_setup")
                return redirect(url_for(endpoint))
            return redirect(target or url_for("accounts.home"))
        throttle.login_failed(email=email, address=address)
        flash(_("Unknown e-mail address or wrong password."), "error")
        return render_template("accounts/login.html", email=email), 401
    return render_template("accounts/login.html", email=email)


@bp.route("/login/code", methods=["GET", "POST"])
@login_required_any
def two_factor_verify():
    """The second step of logging in: a code from the authenticator app or a recovery code."""
    if not owes_second_factor(current_user):
        return redirect(url_for("accounts.home"))
    if not current_user.totp_enabled:
        return redirect(url_for("accounts.two_factor_setup"))
    if request.method == "POST":
        wait = throttle.two_factor_blocked(user_id=current_user.id)
        if wait is not None:
            return _too_many("accounts/two_factor_verify.html", wait)
        ok = twofactor.verify(user=current_user, code=request.form.get("code", "")[:64])
        if ok:
            sessions.mark_second_factor_done()
            return _after_second_factor()
        throttle.two_factor_failed(user_id=current_user.id)
        flash(_("The code is not correct."), "error")
        return render_template("accounts/two_factor_verify.html"), 401
    return render_template("accounts/two_factor_verify.html")


def _qr_data_uri(uri: str) -> str:
    """The otpauth URI as an SVG QR code, made here (no outside service), as a data: URI."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def _setup_context(errors=None) -> dict:
    secret = twofactor.pending_secret(user=current_user)
    uri = twofactor.provisioning_uri(user=current_user, secret=secret)
    return {"secret": secret, "uri": uri, "qr": _qr_data_uri(uri), "errors": errors or {},
            "required": current_user.requires_two_factor}


def _render_setup(*, errors=None, status=200):
    return render_template("accounts/two_factor_setup.html", **_setup_context(errors)), status


@bp.route("/account/two-factor/setup", methods=["GET", "POST"])
@login_required_any
def two_factor_setup():
    """Set up two-factor login: scan the secret, confirm with the password and a code."""
    if current_user.totp_enabled:
        if owes_second_factor(current_user):
            return redirect(url_for("accounts.two_factor_verify"))
        return redirect(url_for("accounts.security"))
    if request.method == "POST":
        wait = throttle.two_factor_blocked(user_id=current_user.id)
        if wait is not None:
            return _too_many("accounts/two_factor_setup.html", wait, **_setup_context())
        try:
            codes = twofactor.enable(actor=current_user,
                                     password=request.form.get("password", ""),
                                     code=request.form.get("code", "")[:64])
        except INPUT_ERRORS as exc:
            throttle.two_factor_failed(user_id=current_user.id)
            return _render_setup(**rejected(exc))
        sessions.mark_second_factor_done()
        next_url = session.pop(sessions.NEXT_KEY, None) or url_for("accounts.home")
        return render_template("accounts/recovery_codes.html", codes=codes, next_url=next_url,
                               first=True)
    return _render_setup()


def _render_security(*, errors=None, status=200):
    return render_template(
        "accounts/security.html", errors=errors or {},
        codes_left=twofactor.recovery_codes_left(user=current_user)
        if current_user.totp_enabled else 0), status


@bp.get("/account/security")
@login_required_any
def security():
    """The account's security page: password and two-factor login."""
    return _render_security()


@bp.post("/account/password")
@login_required_any
def change_password():
    """Change one's own password (the current one is asked again); other sessions end."""
    try:
        services.change_password(actor=current_user,
                                 current_password=request.form.get("current_password", ""),
                                 new_password=request.form.get("new_password", ""),
                                 confirmation=request.form.get("new_password_confirm", ""))
    except INPUT_ERRORS as exc:
        return _render_security(**rejected(exc))
    sessions.follow_version(current_user)
    flash(_("Your password has been changed. You have been logged out everywhere else and "
            "your calendar links no longer work; make new ones on your profile page."), "info")
    return redirect(url_for("accounts.security"))


@bp.post("/account/two-factor/disable")
@login_required_any
def two_factor_disable():
    """Turn two-factor login off (asks for the password; not for roles that require it)."""
    try:
        twofactor.disable(actor=current_user, password=request.form.get("password", ""))
    except INPUT_ERRORS as exc:
        return _render_security(**rejected(exc, field="password"))
    flash(_("Two-factor login is off."), "info")
    return redirect(url_for("accounts.security"))


@bp.post("/account/two-factor/recovery-codes")
@login_required_any
def recovery_codes():
    """New recovery codes (asks for the password); the old ones stop working."""
    try:
        codes = twofactor.regenerate_recovery_codes(actor=current_user,
                                                    password=request.form.get("password", ""))
    except INPUT_ERRORS as exc:
        return _render_security(**rejected(exc, field="password"))
    return render_template("accounts/recovery_codes.html", codes=codes,
                           next_url=url_for("accounts.security"), first=False)


@bp.post("/logout")
@login_required_any
def logout():
    """End the session, and every other session of the user."""
    services.end_sessions(actor=current_user, user=current_user, reason="logout")
    logout_user()
    session.clear()
    flash(_("You have been logged out."), "info")
    return redirect(url_for("accounts.login"))


# --- the admin's user list ------------------------------------------------------------------

@bp.get("/beheer/gebruikers")
@roles_required(Role.ADMIN)
def users():
    """Every user account, with deactivate / reactivate buttons."""
    role_labels = {Role.REQUESTER: _("Requester"), Role.COORDINATOR: _("Coordinator"),
                   Role.EXPERT: _("Expert"), Role.ADMIN: _("Administrator")}
    return render_template("accounts/users.html", users=services.list_users(),
                           role_labels=role_labels)


@bp.post("/beheer/gebruikers/<int:user_id>/deactiveren")
@roles_required(Role.ADMIN)
def deactivate_user(user_id: int):
    """Deactivate a user: their sessions end, their feeds and API tokens are revoked."""
    user = services.get_user(user_id)
    try:
        services.deactivate(actor=current_user, user=user)
    except REFUSALS as exc:
        refused(exc)
    else:
        flash(_("%(name)s has been deactivated and logged out everywhere.", name=user.name),
              "info")
    return redirect(url_for("accounts.users"))


@bp.post("/beheer/gebruikers/<int:user_id>/activeren")
@roles_required(Role.ADMIN)
def reactivate_user(user_id: int):
    """Allow a deactivated user to log in again."""
    user = services.get_user(user_id)
    services.reactivate(actor=current_user, user=user)
    flash(_("%(name)s can log in again.", name=user.name), "info")
    return redirect(url_for("accounts.users"))


@bp.post("/language")
@public
def set_language():
    """Switch the interface language (stored in the session and, if logged in, the profile)."""
    locale = request.form.get("locale")
    if locale in current_app.config["LANGUAGES"]:
        session["locale"] = locale
        if current_user.is_authenticated:
            services.set_locale(actor=current_user, user=current_user, locale=locale)
    return redirect(_safe_next(request.form.get("next")) or url_for("accounts.home"))


@bp.get("/")
@login_required_any
def home():
    """Send each user to the page of their main role."""
    if current_user.has_role(Role.COORDINATOR):
        return redirect(url_for("budget.dashboard"))
    if current_user.has_role(Role.REQUESTER):
        return redirect(url_for("referrals.index"))
    if current_user.has_role(Role.ADMIN):
        return redirect(url_for("casetables.admin_index"))
    # An expert's offers and bookings come from bookings (a higher package).
    return render_template("accounts/home.html",
                           **signals.gather(signals.home_page_shown, current_user))
