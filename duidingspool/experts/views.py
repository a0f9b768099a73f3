"""Expertise areas (admin) and, later, expert profiles."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError as SchemaError

from duidingspool.accounts.access import roles_required
from duidingspool.accounts.models import Role
from duidingspool.errors import ValidationFailed
from duidingspool.experts import services
from duidingspool.experts.schemas import ExpertiseAreaSchema
from duidingspool.extensions import db
from duidingspool.web import field_errors, load_form

bp = Blueprint("experts", __name__)


def _render_form(*, area=None, values=None, errors=None, status=200):
    return render_template("experts/area_form.html", area=area, values=values or {},
                           errors=errors or {}), status


@bp.get("/beheer/expertisegebieden")
@roles_required(Role.ADMIN)
def areas():
    """List the expertise areas, active and inactive."""
    return render_template("experts/areas.html", areas=services.list_areas())


@bp.route("/beheer/expertisegebieden/nieuw", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def create_area():
    """Add an expertise area."""
    if request.method == "GET":
        return _render_form()
    try:
        area = services.create_area(actor=current_user, **load_form(ExpertiseAreaSchema()))
    except (SchemaError, ValidationFailed) as exc:
        db.session.rollback()
        return _render_form(values=request.form, errors=field_errors(exc), status=422)
    db.session.commit()
    flash(_("Expertise area %(name)s added.", name=area.name_en), "info")
    return redirect(url_for("experts.areas"))


@bp.route("/beheer/expertisegebieden/<int:area_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_area(area_id: int):
    """Change an expertise area."""
    area = services.get_area(area_id)
    if request.method == "GET":
        values = {"code": area.code, "name_nl": area.name_nl, "name_en": area.name_en,
                  "description": area.description or ""}
        return _render_form(area=area, values=values)
    try:
        services.update_area(actor=current_user, area=area, **load_form(ExpertiseAreaSchema()))
    except (SchemaError, ValidationFailed) as exc:
        db.session.rollback()
        return _render_form(area=area, values=request.form, errors=field_errors(exc), status=422)
    db.session.commit()
    flash(_("Expertise area %(name)s saved.", name=area.name_en), "info")
    return redirect(url_for("experts.areas"))


@bp.post("/beheer/expertisegebieden/<int:area_id>/actief")
@roles_required(Role.ADMIN)
def set_area_active(area_id: int):
    """Deactivate or reactivate an expertise area."""
    area = services.get_area(area_id)
    active = request.form.get("active") == "1"
    services.set_area_active(actor=current_user, area=area, active=active)
    db.session.commit()
    flash(_("Expertise area %(name)s activated.", name=area.name_en) if active
          else _("Expertise area %(name)s deactivated.", name=area.name_en), "info")
    return redirect(url_for("experts.areas"))
