"""Login (password, then the second factor), logout, forgotten passwords and invitation
links, the account's security page, the admin's user administration, language choice and
the start page."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import segno
from flask import (Blueprint, current_app, flash, redirect, render_template, request, session,
                   url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from duidingspool import logredaction, signals
from duidingspool.accounts import links, services, sessions, throttle, twofactor
from duidingspool.accounts.access import (login_required_any, owes_second_factor, public,
                                          roles_required)
from duidingspool.accounts.models import TWO_FACTOR_ROLES, Role
from duidingspool.accounts.schemas import ConfirmSchema, RolesInputSchema, UserInputSchema
from duidingspool.errors import NotFound
from duidingspool.web import INPUT_ERRORS, REFUSALS, load_form, refused, rejected

bp = Blueprint("accounts", __name__)

ROLE_LABELS = {Role.REQUESTER: _l("Requester"), Role.COORDINATOR: _l("Coordinator"),
               Role.EXPERT: _l("Expert"), Role.ADMIN: _l("Administrator")}

# --- keeping link tokens out of the logs ------------------------------------------------------

REDACTED_LINK_PATH = "/wachtwoord/instellen/[redacted]"
# Access-log and error loggers of the servers we run under (the app's own is added).
_LOGGERS = ("werkzeug", "waitress", "gunicorn.access", "gunicorn.error")


class LinkTokenFilter(logredaction.PathTokenFilter):
    """Rewrites log records that mention a password link, so its token is never written,
    also when the path was percent-encoded."""

    def __init__(self):
        super().__init__("/wachtwoord/instellen/")


def _install_log_redaction(app) -> None:
    logredaction.install(app, LinkTokenFilter, _LOGGERS)


bp.record_once(lambda state: _install_log_redaction(state.app))


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


def _too_many(template: str, seconds: int, *, reentry: bool = False, **context):
    """The form again with a 429 and how long to wait."""
    minutes = max(1, -(-seconds // 60))
    if reentry:
        message = _("Too many wrong passwords. For your safety, changes that ask for your "
                    "password are blocked; try again in %(minutes)d minutes.", minutes=minutes)
    else:
        message = _("Too many failed attempts. For your safety, logging in is blocked for "
                    "this account or address; try again in %(minutes)d minutes.",
                    minutes=minutes)
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
        attempt = throttle.login_attempt(email=email, address=request.remote_addr)
        if isinstance(attempt, int):
            return _too_many("accounts/login.html", attempt, email=email)
        user = services.authenticate(email=email, password=request.form.get("password", ""))
        if user is not None:
            attempt.give_back()
            chosen = sessions.clear()
            login_user(user)
            if chosen in current_app.config["LANGUAGES"]:
                # The language chosen on the login page stays, like a choice made when
                # logged in (kept in the user's profile, so e-mails follow it too).
                services.set_locale(actor=user, user=user, locale=chosen)
            sessions.start(user, second_factor=False)
            target = _safe_next(request.args.get("next"))
            if owes_second_factor(user):
                if target:
                    session[sessions.NEXT_KEY] = target
                endpoint = ("accounts.two_factor_verify" if user.totp_enabled
                            else "accounts.two_factor_setup")
                return redirect(url_for(endpoint))
            return redirect(target or url_for("accounts.home"))
        flash(_("Unknown e-mail address or wrong password."), "error")
        return render_template("accounts/login.html", email=email), 401
    return render_template("accounts/login.html", email=email)


# --- forgotten passwords and invitation links ------------------------------------------------

# The session key under which a link's token waits between opening the link and choosing
# the password (the token leaves the URL at once: no later page, log or Referer has it).
LINK_KEY = "_account_link"


@bp.route("/wachtwoord/vergeten", methods=["GET", "POST"])
@public
def forgot_password():
    """Ask for a link to choose a new password; the same answer whether or not the address
    belongs to an account, rate limited like logging in."""
    if request.method == "GET":
        return render_template("accounts/forgot_password.html", email="", errors={})
    started = time.monotonic()
    email = request.form.get("email", "").strip()[:254]
    if not email:
        return render_template("accounts/forgot_password.html", email="", errors={
            "email": [_("Enter the e-mail address you log in with.")]}), 422
    wait = throttle.password_reset_attempt(email=email, address=request.remote_addr)
    if isinstance(wait, int):
        minutes = max(1, -(-wait // 60))
        flash(_("Too many requests for a new password from this address or for this e-mail "
                "address; try again in %(minutes)d minutes.", minutes=minutes), "error")
        response = current_app.make_response(
            render_template("accounts/forgot_password.html", email=email, errors={}))
        response.status_code = 429
        response.headers["Retry-After"] = str(wait)
        return response
    links.request_reset(email=email)
    # The answer takes as long for an unknown address as for a known one.
    remaining = float(current_app.config.get("PASSWORD_RESET_MIN_SECONDS") or 0) - (
        time.monotonic() - started)
    if remaining > 0:
        time.sleep(remaining)
    return render_template("accounts/forgot_password_sent.html", email=email,
                           hours=links.lifetime("reset").total_seconds() / 3600)


@bp.get("/wachtwoord/instellen/<token>")
@public
def open_link(token: str):
    """The link from an invitation or forgotten-password e-mail: its token moves into the
    session and the browser goes on to a URL without it."""
    session[LINK_KEY] = token[:links.MAX_TOKEN_LENGTH]
    response = redirect(url_for("accounts.choose_password"))
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _invalid_link_page():
    session.pop(LINK_KEY, None)
    return render_template("accounts/link_invalid.html",
                           message=links.invalid_link().message), 404


def _render_choose(link, *, errors=None, status=200):
    return render_template("accounts/choose_password.html", link=link, user=link.user,
                           errors=errors or {}), status


@bp.route("/wachtwoord/instellen", methods=["GET", "POST"])
@public
def choose_password():
    """Choose a password with the link just opened (once); every other session of the user
    ends, and they log in with the new password."""
    token = session.get(LINK_KEY) or ""
    link = links.find(token)
    if link is None:
        return _invalid_link_page()
    if request.method == "GET":
        return _render_choose(link)
    try:
        user = links.use(token=token, password=request.form.get("password", ""),
                         confirmation=request.form.get("password_confirm", ""))
    except NotFound:
        return _invalid_link_page()
    except INPUT_ERRORS as exc:
        outcome = rejected(exc, field="password")
        return _render_choose(links.find(token) or link, **outcome)
    # Whoever was logged in in this browser is logged out: the new password is the user's.
    logout_user()
    sessions.clear()
    flash(_("Your password has been set. Log in with your e-mail address %(email)s and the "
            "new password.", email=user.email), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/login/code", methods=["GET", "POST"])
@login_required_any
def two_factor_verify():
    """The second step of logging in: a code from the authenticator app or a recovery code."""
    if not owes_second_factor(current_user):
        return redirect(url_for("accounts.home"))
    if not current_user.totp_enabled:
        return redirect(url_for("accounts.two_factor_setup"))
    if request.method == "POST":
        attempt = throttle.two_factor_attempt(user_id=current_user.id)
        if isinstance(attempt, int):
            return _too_many("accounts/two_factor_verify.html", attempt)
        ok = twofactor.verify(user=current_user, code=request.form.get("code", "")[:64])
        if ok:
            attempt.give_back()
            sessions.mark_second_factor_done()
            return _after_second_factor()
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
        attempt = throttle.two_factor_attempt(user_id=current_user.id)
        if isinstance(attempt, int):
            return _too_many("accounts/two_factor_setup.html", attempt, **_setup_context())
        try:
            codes = twofactor.enable(actor=current_user,
                                     password=request.form.get("password", ""),
                                     code=request.form.get("code", "")[:64])
        except INPUT_ERRORS as exc:
            outcome = rejected(exc)
            if isinstance(exc, services.WrongPassword):
                services.record_wrong_password(actor=current_user, purpose=exc.purpose)
            return _render_setup(**outcome)
        attempt.give_back()
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


def _password_reentry(change, *, field: str = "_schema"):
    """Run `change` (which checks the password typed again) under the password re-entry
    limit: the security page again with the error, 429 over the limit, or None when done.
    Only a wrong password stays counted (and is recorded by the service)."""
    attempt = throttle.password_check_attempt(user_id=current_user.id)
    if isinstance(attempt, int):
        return _too_many("accounts/security.html", attempt, reentry=True, errors={},
                         codes_left=twofactor.recovery_codes_left(user=current_user)
                         if current_user.totp_enabled else 0)
    try:
        change()
    except services.WrongPassword as exc:
        outcome = rejected(exc, field=field)
        services.record_wrong_password(actor=current_user, purpose=exc.purpose)
        return _render_security(**outcome)
    except INPUT_ERRORS as exc:
        attempt.give_back()
        return _render_security(**rejected(exc, field=field))
    attempt.give_back()
    return None


@bp.post("/account/password")
@login_required_any
def change_password():
    """Change one's own password (the current one is asked again); other sessions end."""
    refused = _password_reentry(lambda: services.change_password(
        actor=current_user, current_password=request.form.get("current_password", ""),
        new_password=request.form.get("new_password", ""),
        confirmation=request.form.get("new_password_confirm", "")))
    if refused is not None:
        return refused
    sessions.follow_version(current_user)
    flash(_("Your password has been changed. You have been logged out everywhere else and "
            "your calendar links no longer work; make new ones on your profile page."), "info")
    return redirect(url_for("accounts.security"))


@bp.post("/account/two-factor/disable")
@login_required_any
def two_factor_disable():
    """Turn two-factor login off (asks for the password; not for roles that require it)."""
    refused = _password_reentry(lambda: twofactor.disable(
        actor=current_user, password=request.form.get("password", "")), field="password")
    if refused is not None:
        return refused
    flash(_("Two-factor login is off."), "info")
    return redirect(url_for("accounts.security"))


@bp.post("/account/two-factor/recovery-codes")
@login_required_any
def recovery_codes():
    """New recovery codes (asks for the password); the old ones stop working."""
    codes = []
    refused = _password_reentry(lambda: codes.extend(twofactor.regenerate_recovery_codes(
        actor=current_user, password=request.form.get("password", ""))), field="password")
    if refused is not None:
        return refused
    return render_template("accounts/recovery_codes.html", codes=codes,
                           next_url=url_for("accounts.security"), first=False)


@bp.post("/logout")
@login_required_any
def logout():
    """End the session, and every other session of the user."""
    services.end_sessions(actor=current_user, user=current_user, reason="logout")
    logout_user()
    sessions.clear()
    flash(_("You have been logged out."), "info")
    return redirect(url_for("accounts.login"))


# --- the admin's user administration --------------------------------------------------------

def _role_labels() -> dict:
    return {role: str(label) for role, label in ROLE_LABELS.items()}


@bp.get("/beheer/gebruikers")
@roles_required(Role.ADMIN)
def users():
    """Every user account, with a link to each user's page."""
    return render_template("accounts/users.html", users=services.list_users(),
                           role_labels=_role_labels(),
                           municipalities=services.municipality_names())


def _form_values(form) -> dict:
    values = {key: form.get(key, "") for key in form}
    values["roles"] = form.getlist("roles")
    return values


def _render_new_user(*, values=None, errors=None, status=200):
    return render_template("accounts/user_form.html", values=values or {"roles": []},
                           errors=errors or {}, role_labels=_role_labels(),
                           municipalities=services.municipality_names()), status


@bp.route("/beheer/gebruikers/nieuw", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def create_user():
    """Add a user; they get an invitation e-mail with a link to choose their password."""
    if request.method == "GET":
        return _render_new_user()
    try:
        data = load_form(UserInputSchema())
        user = links.create_and_invite(actor=current_user, **data)
    except INPUT_ERRORS as exc:
        return _render_new_user(values=_form_values(request.form), **rejected(exc))
    flash(_("%(name)s has been added. An invitation to choose a password has been sent to "
            "%(email)s; the link works for %(hours)d hours.", name=user.name, email=user.email,
            hours=round(links.lifetime("invite").total_seconds() / 3600)), "info")
    return redirect(url_for("accounts.user_detail", user_id=user.id))


def _render_user(user, *, values=None, errors=None, status=200):
    if values is None:
        values = {"roles": sorted(r.value for r in user.role_names),
                  "municipality_id": str(user.municipality_id or "")}
    return render_template("accounts/user.html", user=user, values=values,
                           errors=errors or {}, role_labels=_role_labels(),
                           municipalities=services.municipality_names(),
                           is_self=user.id == current_user.id), status


@bp.get("/beheer/gebruikers/<int:user_id>")
@roles_required(Role.ADMIN)
def user_detail(user_id: int):
    """One user: roles and municipality to change, and the admin's buttons."""
    return _render_user(services.get_user(user_id))


def _role_consequences(change: dict) -> list[str]:
    """What the roles change means for the user, in words for the confirmation page."""
    old, new = set(change["old_roles"]), set(change["new_roles"])
    labels = _role_labels()
    lines = []
    for role in sorted(new - old):
        lines.append(_("Gets the role %(role)s and with it its pages and data.",
                       role=labels[Role(role)]))
    for role in sorted(old - new):
        lines.append(_("Loses the role %(role)s at once: its pages, and calendar links made "
                       "for it, stop working.", role=labels[Role(role)]))
    if {r.value for r in TWO_FACTOR_ROLES} & (new - old):
        lines.append(_("Must set up two-factor login at the next page they open, if not on "
                       "already."))
    if Role.EXPERT.value in new - old:
        lines.append(_("The expert role shows offers and bookings only once the coordinator "
                       "has linked an expert profile to this account."))
    if (change["new_municipality_id"] != change["old_municipality_id"]
            and change["new_municipality_id"] is not None):
        lines.append(_("Sees only the requests and case tables of the new municipality from "
                       "now on."))
    return lines


def _render_confirm(*, user, title, question, consequences, action, button, danger=False,
                    hidden=None, errors=None, status=200):
    # The one confirmation page of every destructive action (ui.confirm_step uses it too).
    return render_template("confirm.html", title=title, question=question,
                           consequences=consequences, action=action, button=button,
                           danger=danger, hidden=hidden or [], errors=errors or {},
                           back=url_for("accounts.user_detail", user_id=user.id),
                           note=_("The change is recorded in the audit trail.")), status


def _roles_confirmation(user, change: dict, *, errors=None, status=200):
    names = services.municipality_names()
    labels = _role_labels()

    def describe(roles, municipality_id):
        text = ", ".join(str(labels[Role(r)]) for r in roles)
        if municipality_id is not None:
            text += f" ({names.get(municipality_id, municipality_id)})"
        return text

    hidden = [("roles", r) for r in change["new_roles"]]
    if change["new_municipality_id"] is not None:
        hidden.append(("municipality_id", str(change["new_municipality_id"])))
    return _render_confirm(
        user=user, title=_("Change roles of %(name)s", name=user.name),
        question=_("Are you sure you want to change the roles of %(name)s from %(old)s to "
                   "%(new)s?", name=user.name,
                   old=describe(change["old_roles"], change["old_municipality_id"]),
                   new=describe(change["new_roles"], change["new_municipality_id"])),
        consequences=_role_consequences(change),
        action=url_for("accounts.change_user_roles", user_id=user.id),
        button=_("Yes, change the roles"), hidden=hidden, errors=errors, status=status)


@bp.route("/beheer/gebruikers/<int:user_id>/rollen", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def change_user_roles(user_id: int):
    """Change a user's roles and municipality: GET asks for confirmation (with what the
    change means), POST with the confirmation does it."""
    user = services.get_user(user_id)
    form = request.args if request.method == "GET" else request.form
    try:
        data = load_form(RolesInputSchema(), form=form)
        change = services.check_roles_change(actor=current_user, user=user, **data)
    except INPUT_ERRORS as exc:
        return _render_user(user, values=_form_values(form), **rejected(exc))
    if not change["changed"]:
        flash(_("Nothing changed."), "info")
        return redirect(url_for("accounts.user_detail", user_id=user.id))
    if request.method == "GET":
        return _roles_confirmation(user, change)
    try:
        load_form(ConfirmSchema())
    except INPUT_ERRORS as exc:
        return _roles_confirmation(user, change, **rejected(exc))
    try:
        services.change_roles(actor=current_user, user=user, **data)
    except INPUT_ERRORS as exc:
        return _render_user(user, values=_form_values(form), **rejected(exc))
    flash(_("The roles of %(name)s have been changed.", name=user.name), "info")
    return redirect(url_for("accounts.user_detail", user_id=user.id))


def _confirmed_button(user, *, title, question, consequences, button, do, done, danger=False):
    """A button of the user's page: GET asks, POST with the confirmation does `do()` and
    says `done` on the user's page (or why it was refused)."""
    page = dict(user=user, title=title, question=question, consequences=consequences,
                action=request.path, button=button, danger=danger)
    if request.method == "GET":
        return _render_confirm(**page)
    try:
        load_form(ConfirmSchema())
    except INPUT_ERRORS as exc:
        return _render_confirm(**page, **rejected(exc))
    try:
        do()
    except REFUSALS as exc:
        refused(exc)
    else:
        flash(done, "info")
    return redirect(url_for("accounts.user_detail", user_id=user.id))


@bp.route("/beheer/gebruikers/<int:user_id>/deactiveren", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def deactivate_user(user_id: int):
    """Deactivate a user after confirmation: their sessions end, their feeds and API tokens
    are revoked."""
    user = services.get_user(user_id)
    return _confirmed_button(
        user, title=_("Deactivate %(name)s", name=user.name),
        question=_("Are you sure you want to deactivate %(name)s?", name=user.name),
        consequences=[_("They are logged out everywhere at once and can no longer log in."),
                      _("Their calendar links and API tokens are revoked; they stay revoked "
                        "if the account is reactivated later."),
                      _("Their requests, bookings and hours stay as they are.")],
        button=_("Yes, deactivate"), danger=True,
        do=lambda: services.deactivate(actor=current_user, user=user),
        done=_("%(name)s has been deactivated and logged out everywhere.", name=user.name))


@bp.route("/beheer/gebruikers/<int:user_id>/activeren", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def reactivate_user(user_id: int):
    """Let a deactivated user log in again, after confirmation."""
    user = services.get_user(user_id)
    return _confirmed_button(
        user, title=_("Reactivate %(name)s", name=user.name),
        question=_("Are you sure you want to let %(name)s log in again?", name=user.name),
        consequences=[_("They can log in again with their password and roles as they are."),
                      _("Calendar links and API tokens revoked at the deactivation stay "
                        "revoked; they make new ones.")],
        button=_("Yes, reactivate"),
        do=lambda: services.reactivate(actor=current_user, user=user),
        done=_("%(name)s can log in again.", name=user.name))


@bp.route("/beheer/gebruikers/<int:user_id>/tweestapsverificatie-uitzetten",
          methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def reset_user_two_factor(user_id: int):
    """Turn off a user's two-factor login (lost phone and recovery codes), after
    confirmation."""
    user = services.get_user(user_id)
    return _confirmed_button(
        user, title=_("Reset two-factor login of %(name)s", name=user.name),
        question=_("Are you sure you want to turn off two-factor login for %(name)s?",
                   name=user.name),
        consequences=[_("Their authenticator app and recovery codes stop working, and they "
                        "are logged out everywhere."),
                      _("Coordinators and administrators must set it up again at their next "
                        "login."),
                      _("Only do this after making sure, for example by phone, that you are "
                        "helping the account's owner.")],
        button=_("Yes, turn two-factor login off"), danger=True,
        do=lambda: services.reset_two_factor(actor=current_user, user=user),
        done=_("Two-factor login of %(name)s is off; they have been logged out everywhere.",
               name=user.name))


@bp.post("/beheer/gebruikers/<int:user_id>/uitnodigen")
@roles_required(Role.ADMIN)
def reinvite_user(user_id: int):
    """Send a new invitation to a user who has not chosen a password yet."""
    user = services.get_user(user_id)
    try:
        links.reinvite(actor=current_user, user=user)
    except REFUSALS as exc:
        refused(exc)
    else:
        flash(_("A new invitation has been sent to %(email)s; the previous link no longer "
                "works.", email=user.email), "info")
    return redirect(url_for("accounts.user_detail", user_id=user.id))


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
