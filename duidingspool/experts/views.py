"""Expertise areas (admin), expert profiles (coordinator) and availability (the expert)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from duidingspool.accounts.access import roles_required
from duidingspool.accounts.models import Role
from duidingspool.casetables.queries import list_municipalities
from duidingspool.db import utcnow
from duidingspool.experts import services
from duidingspool.experts.schemas import (
    AbsenceSchema,
    BusyCalendarSchema,
    ExpertCreateSchema,
    ExpertiseAreaSchema,
    ExpertProfileSchema,
    RateSchema,
    WindowSchema,
)
from duidingspool.timeutil import local_day_bounds, to_local
from duidingspool.ui import confirm_step
from duidingspool.web import INPUT_ERRORS, REFUSALS, load_form, rejected

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
    except INPUT_ERRORS as exc:
        return _render_form(values=request.form, **rejected(exc))
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
    except INPUT_ERRORS as exc:
        return _render_form(area=area, values=request.form, **rejected(exc))
    flash(_("Expertise area %(name)s saved.", name=area.name_en), "info")
    return redirect(url_for("experts.areas"))


@bp.route("/beheer/expertisegebieden/<int:area_id>/actief", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def set_area_active(area_id: int):
    """Reactivate an expertise area, or deactivate it after confirmation."""
    area = services.get_area(area_id)
    active = (request.args if request.method == "GET" else request.form).get("active") == "1"
    if not active:
        page = confirm_step(
            title=_("Deactivate an expertise area"),
            question=_("Are you sure you want to deactivate the expertise area %(name)s?",
                       name=area.name_en),
            consequences=[_("Requesters can no longer ask for it, and it is no longer offered "
                            "on expert profiles."),
                          _("Experts keep it on their profile; you can activate it again.")],
            button=_("Yes, deactivate"), back=url_for("experts.areas"))
        if page:
            return page
    elif request.method == "GET":
        return redirect(url_for("experts.areas"))
    services.set_area_active(actor=current_user, area=area, active=active)
    flash(_("Expertise area %(name)s activated.", name=area.name_en) if active
          else _("Expertise area %(name)s deactivated.", name=area.name_en), "info")
    return redirect(url_for("experts.areas"))


# --- Expert profiles (coordinator) -----------------------------------------------------------


@bp.get("/deskundigen")
@roles_required(Role.COORDINATOR)
def experts():
    """List the experts, with a notice of vetting that lapses within 60 days."""
    return render_template("experts/experts.html", experts=services.list_experts(),
                           notices=services.vetting_notices(),
                           notice_days=services.VETTING_NOTICE_DAYS,
                           today=services.today_local())


def _profile_values(expert) -> MultiDict:
    values = MultiDict({
        "home_municipality_id": str(expert.home_municipality_id),
        "max_travel_km": str(expert.max_travel_km),
        "max_hours_per_month": str(expert.max_hours_per_month),
        "languages": ", ".join(sorted(lang.language for lang in expert.languages)),
        **{name: getattr(expert, name).isoformat() for name in (
            "vog_issued_on", "vog_expires_on", "confidentiality_signed_on",
            "confidentiality_expires_on") if getattr(expert, name)},
    })
    if expert.is_active:
        values["is_active"] = "1"
    for row in expert.expertise:
        values.add("areas", f"{row.expertise_area_id}:{row.level}")
    for municipality_id in expert.conflict_municipality_ids:
        values.add("conflict_municipality_ids", str(municipality_id))
    return values


def _render_expert_form(*, expert=None, values=None, errors=None, status=200):
    areas = services.list_areas(include_inactive=False)
    if expert is not None:  # keep showing an area the expert has that was deactivated since
        areas += [row.area for row in expert.expertise if not row.area.is_active]
    return render_template("experts/expert_form.html", expert=expert,
                           values=values if values is not None else MultiDict(),
                           errors=errors or {}, areas=areas,
                           municipalities=list_municipalities()), status


@bp.route("/deskundigen/nieuw", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def create_expert():
    """Add an expert: a new user account or an existing user, and the profile."""
    if request.method == "GET":
        return _render_expert_form(values=MultiDict({"is_active": "1", "account": "new",
                                                     "max_travel_km": "100",
                                                     "max_hours_per_month": "24",
                                                     "languages": "nl"}))
    try:
        expert = services.create_expert(actor=current_user, **load_form(ExpertCreateSchema()))
    except INPUT_ERRORS as exc:
        values = request.form.copy()
        values.pop("password", None)  # never echo a password
        return _render_expert_form(values=values, **rejected(exc))
    flash(_("Expert %(name)s added.", name=expert.user.name), "info")
    return redirect(url_for("experts.expert", expert_id=expert.id))


def _render_expert(expert, *, rate_values=None, rate_errors=None, message=None, status=200):
    since = local_day_bounds(to_local(utcnow()).date())[0]
    today = services.today_local()
    return render_template(
        "experts/expert.html", expert=expert, today=today,
        current_rate=services.rate_on(expert, today),
        municipalities={m.id: m for m in list_municipalities()},
        windows=services.windows_of(expert), absences=services.absences_of(expert, since=since),
        busy=services.busy_of(expert, since=since), weekdays=services.WEEKDAYS,
        clock=services.clock, rate_values=rate_values or {}, rate_errors=rate_errors or {},
        message=message), status


@bp.get("/deskundigen/<int:expert_id>")
@roles_required(Role.COORDINATOR)
def expert(expert_id: int):
    """An expert's profile, rates and availability (read-only)."""
    return _render_expert(services.get_expert(expert_id))


@bp.route("/deskundigen/<int:expert_id>/bewerken", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def edit_expert(expert_id: int):
    """Change an expert's profile."""
    expert = services.get_expert(expert_id)
    if request.method == "GET":
        return _render_expert_form(expert=expert, values=_profile_values(expert))
    try:
        services.update_expert(actor=current_user, expert=expert,
                               **load_form(ExpertProfileSchema()))
    except INPUT_ERRORS as exc:
        failed = rejected(exc)
        expert = services.get_expert(expert_id)
        return _render_expert_form(expert=expert, values=request.form, **failed)
    flash(_("Expert %(name)s saved.", name=expert.user.name), "info")
    return redirect(url_for("experts.expert", expert_id=expert.id))


@bp.post("/deskundigen/<int:expert_id>/tarieven")
@roles_required(Role.COORDINATOR)
def add_rate(expert_id: int):
    """Add an hourly rate valid from a date on."""
    expert = services.get_expert(expert_id)
    try:
        services.add_rate(actor=current_user, expert=expert, **load_form(RateSchema()))
    except INPUT_ERRORS as exc:
        failed = rejected(exc)
        return _render_expert(services.get_expert(expert_id), rate_values=request.form,
                              rate_errors=failed["errors"], status=failed["status"])
    flash(_("Rate added."), "info")
    return redirect(url_for("experts.expert", expert_id=expert.id))


@bp.route("/deskundigen/<int:expert_id>/tarieven/<int:rate_id>/verwijderen",
          methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def delete_rate(expert_id: int, rate_id: int):
    """Remove a rate that has not applied yet, after confirmation."""
    expert = services.get_expert(expert_id)
    rate = services.get_rate(expert, rate_id)
    page = confirm_step(
        title=_("Remove a rate"),
        question=_("Are you sure you want to remove this rate of %(name)s?",
                   name=expert.user.name),
        button=_("Yes, remove the rate"),
        back=url_for("experts.expert", expert_id=expert.id))
    if page:
        return page
    try:
        services.delete_rate(actor=current_user, expert=expert, rate=rate)
    except REFUSALS as exc:
        status = rejected(exc)["status"]
        return _render_expert(services.get_expert(expert_id), message=exc.message, status=status)
    flash(_("Rate removed."), "info")
    return redirect(url_for("experts.expert", expert_id=expert.id))


# --- Availability (the expert themself) ------------------------------------------------------


def _render_availability(expert, *, form=None, values=None, errors=None, status=200):
    since = local_day_bounds(to_local(utcnow()).date())[0]
    return render_template(
        "experts/availability.html", expert=expert, windows=services.windows_of(expert),
        absences=services.absences_of(expert, since=since),
        busy=services.busy_of(expert, since=since), weekdays=services.WEEKDAYS,
        clock=services.clock, form=form, values=values or {}, errors=errors or {}), status


@bp.get("/beschikbaarheid")
@roles_required(Role.EXPERT)
def availability():
    """The expert's own weekly windows, absences and busy calendar."""
    return _render_availability(services.own_expert(current_user))


def _availability_action(form: str, action):
    expert = services.own_expert(current_user)
    try:
        action(expert)
    except INPUT_ERRORS as exc:
        failed = rejected(exc)
        return _render_availability(services.own_expert(current_user), form=form,
                                    values=request.form, **failed)
    return None


@bp.post("/beschikbaarheid/vensters")
@roles_required(Role.EXPERT)
def add_window():
    """Add a weekly availability window."""
    failed = _availability_action("window", lambda expert: services.add_window(
        actor=current_user, expert=expert, **load_form(WindowSchema())))
    if failed:
        return failed
    flash(_("Availability window added."), "info")
    return redirect(url_for("experts.availability"))


@bp.route("/beschikbaarheid/vensters/<int:window_id>/verwijderen", methods=["GET", "POST"])
@roles_required(Role.EXPERT)
def remove_window(window_id: int):
    """Remove one of the expert's own windows, after confirmation."""
    expert = services.own_expert(current_user)
    window = services.get_own_window(expert, window_id)
    page = confirm_step(
        title=_("Remove an availability window"),
        question=_("Are you sure you want to remove the availability window %(day)s "
                   "%(start)s–%(end)s?", day=services.WEEKDAYS[window.weekday],
                   start=services.clock(window.start_minute),
                   end=services.clock(window.end_minute)),
        consequences=[_("You are no longer matched for sessions in it.")],
        button=_("Yes, remove"), back=url_for("experts.availability"))
    if page:
        return page
    services.remove_window(actor=current_user, expert=expert, window_id=window_id)
    flash(_("Availability window removed."), "info")
    return redirect(url_for("experts.availability"))


@bp.post("/beschikbaarheid/afwezigheden")
@roles_required(Role.EXPERT)
def add_absence():
    """Add an absence."""
    failed = _availability_action("absence", lambda expert: services.add_absence(
        actor=current_user, expert=expert, **load_form(AbsenceSchema())))
    if failed:
        return failed
    flash(_("Absence added."), "info")
    return redirect(url_for("experts.availability"))


@bp.route("/beschikbaarheid/afwezigheden/<int:absence_id>/verwijderen",
          methods=["GET", "POST"])
@roles_required(Role.EXPERT)
def remove_absence(absence_id: int):
    """Remove one of the expert's own absences, after confirmation."""
    expert = services.own_expert(current_user)
    services.get_own_absence(expert, absence_id)
    page = confirm_step(
        title=_("Remove an absence"),
        question=_("Are you sure you want to remove this absence?"),
        consequences=[_("You can be matched and offered sessions in that period again.")],
        button=_("Yes, remove"), back=url_for("experts.availability"))
    if page:
        return page
    services.remove_absence(actor=current_user, expert=expert, absence_id=absence_id)
    flash(_("Absence removed."), "info")
    return redirect(url_for("experts.availability"))


@bp.post("/beschikbaarheid/agenda")
@roles_required(Role.EXPERT)
def set_busy_calendar():
    """Save (and fetch) or remove the address of the expert's own busy calendar."""
    counted: list[int] = []
    failed = _availability_action("calendar", lambda expert: counted.append(
        services.set_busy_calendar(actor=current_user, expert=expert,
                                   url=load_form(BusyCalendarSchema())["busy_ics_url"])))
    if failed:
        return failed
    flash(_("Calendar saved: %(n)d busy times read.", n=counted[0]) if request.form.get(
        "busy_ics_url", "").strip() else _("Calendar removed."), "info")
    return redirect(url_for("experts.availability"))


@bp.post("/beschikbaarheid/agenda/vernieuwen")
@roles_required(Role.EXPERT)
def refresh_busy_calendar():
    """Fetch the expert's busy calendar now."""
    counted: list[int] = []
    failed = _availability_action("calendar", lambda expert: counted.append(
        services.refresh_busy_calendar(actor=current_user, expert=expert)))
    if failed:
        return failed
    flash(_("Calendar refreshed: %(n)d busy times read.", n=counted[0]), "info")
    return redirect(url_for("experts.availability"))
