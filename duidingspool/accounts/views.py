"""Login, logout, language choice and the start page."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from duidingspool.accounts import services
from duidingspool.accounts.access import login_required_any, public
from duidingspool.accounts.models import Role
from duidingspool.extensions import db

bp = Blueprint("accounts", __name__)


def _safe_next(target: str | None) -> str | None:
    """Only local paths are followed after login (no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Show the login form and log the user in."""
    if current_user.is_authenticated:
        return redirect(url_for("accounts.home"))
    email = request.form.get("email", "").strip()
    if request.method == "POST":
        user = services.authenticate(email=email, password=request.form.get("password", ""))
        db.session.commit()  # the attempt is audited either way
        if user is not None:
            session.clear()
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or url_for("accounts.home"))
        flash(_("Unknown e-mail address or wrong password."), "error")
        return render_template("accounts/login.html", email=email), 401
    return render_template("accounts/login.html", email=email)


@bp.post("/logout")
@login_required_any
def logout():
    """End the session."""
    logout_user()
    session.clear()
    flash(_("You have been logged out."), "info")
    return redirect(url_for("accounts.login"))


@bp.post("/language")
@public
def set_language():
    """Switch the interface language (stored in the session and, if logged in, the profile)."""
    locale = request.form.get("locale")
    if locale in current_app.config["LANGUAGES"]:
        session["locale"] = locale
        if current_user.is_authenticated:
            current_user.locale = locale
            db.session.commit()
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
    return render_template("accounts/home.html")
