"""Admin screens for municipalities, case tables and their sessions."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from duidingspool.accounts.access import roles_required
from duidingspool.accounts.models import Role
from duidingspool.casetables import queries, services
from duidingspool.casetables.models import ScheduleSource, SittingStatus
from duidingspool.casetables.schemas import (
    CancelSittingSchema,
    CaseTableFormSchema,
    MoveSittingSchema,
    MunicipalitySchema,
)
from duidingspool.db import utcnow
from duidingspool.errors import ValidationFailed
from duidingspool.timeutil import to_local
from duidingspool.ui import confirm_step
from duidingspool.web import INPUT_ERRORS, REFUSALS, load_form, refused, rejected

bp = Blueprint("casetables", __name__, url_prefix="/beheer")

MANAGERS = (Role.ADMIN, Role.COORDINATOR)


def _form_values(form) -> dict:
    """What the user typed, for re-rendering (multi-selects as lists)."""
    values = {key: form.get(key, "") for key in form}
    values["municipality_ids"] = form.getlist("municipality_ids")
    return values


@bp.get("/")
@roles_required(*MANAGERS)
def admin_index():
    """Administration start page: what this user can manage."""
    return render_template("casetables/admin_index.html")


# --- municipalities -------------------------------------------------------------------------

def _municipality_values(municipality) -> dict:
    return {"name": municipality.name, "cbs_code": municipality.cbs_code,
            "safety_region_id": str(municipality.safety_region_id),
            "latitude": str(municipality.latitude), "longitude": str(municipality.longitude)}


def _render_municipality_form(*, municipality=None, values=None, errors=None, status=200):
    return render_template("casetables/municipality_form.html", municipality=municipality,
                           values=values or {}, errors=errors or {},
                           regions=queries.list_regions()), status


@bp.get("/gemeenten")
@roles_required(Role.ADMIN)
def municipalities():
    """List the municipalities."""
    return render_template("casetables/municipalities.html",
                           municipalities=queries.list_municipalities())


@bp.route("/gemeenten/nieuw", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def create_municipality():
    """Add a municipality."""
    if request.method == "GET":
        return _render_municipality_form()
    try:
        data = load_form(MunicipalitySchema())
        municipality = services.create_municipality(actor=current_user, **data)
    except INPUT_ERRORS as exc:
        return _render_municipality_form(values=_form_values(request.form),
                                          **rejected(exc))
    flash(_("Municipality %(name)s added.", name=municipality.name), "info")
    return redirect(url_for("casetables.municipalities"))


@bp.route("/gemeenten/<int:municipality_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_municipality(municipality_id: int):
    """Change a municipality."""
    municipality = queries.get_municipality(municipality_id)
    if request.method == "GET":
        return _render_municipality_form(municipality=municipality,
                                         values=_municipality_values(municipality))
    try:
        data = load_form(MunicipalitySchema())
        services.update_municipality(actor=current_user, municipality=municipality, **data)
    except INPUT_ERRORS as exc:
        return _render_municipality_form(municipality=municipality,
                                         values=_form_values(request.form),
                                         **rejected(exc))
    flash(_("Municipality %(name)s saved.", name=municipality.name), "info")
    return redirect(url_for("casetables.municipalities"))


# --- case tables ----------------------------------------------------------------------------

def _case_table_values(table) -> dict:
    first = to_local(table.first_session_start) if table.first_session_start else None
    return {
        "name": table.name, "host_organisation": table.host_organisation,
        "host_municipality_id": str(table.host_municipality_id), "address": table.address,
        "contact_email": table.contact_email or "",
        "municipality_ids": [str(m.id) for m in table.municipalities],
        "schedule_source": table.schedule_source, "rrule": table.rrule or "",
        "first_session_date": first.date().isoformat() if first else "",
        "first_session_time": first.strftime("%H:%M") if first else "",
        "duration_minutes": str(table.duration_minutes), "ics_url": table.ics_url or "",
        "is_active": "y" if table.is_active else "",
    }


def _render_case_table_form(*, table=None, values=None, errors=None, status=200):
    return render_template("casetables/case_table_form.html", table=table,
                           values=values or {}, errors=errors or {},
                           municipalities=queries.list_municipalities(),
                           sources=list(ScheduleSource)), status


@bp.get("/casustafels")
@roles_required(*MANAGERS)
def case_tables():
    """List the case tables."""
    return render_template("casetables/case_tables.html",
                           tables=queries.list_case_tables_for(current_user))


@bp.route("/casustafels/nieuw", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def create_case_table():
    """Add a case table (and generate its sessions from the rule)."""
    if request.method == "GET":
        return _render_case_table_form(values={"schedule_source": "recurrence",
                                               "duration_minutes": "120", "is_active": "y"})
    try:
        data = load_form(CaseTableFormSchema())
        table = services.create_case_table(actor=current_user, **data)
    except INPUT_ERRORS as exc:
        return _render_case_table_form(values=_form_values(request.form),
                                       **rejected(exc))
    flash(_("Case table %(name)s added.", name=table.name), "info")
    return redirect(url_for("casetables.case_table", case_table_id=table.id))


@bp.route("/casustafels/<int:case_table_id>/bewerken", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_case_table(case_table_id: int):
    """Change a case table; a changed rule updates its future sessions."""
    table = queries.get_case_table_for(current_user, case_table_id)
    if request.method == "GET":
        return _render_case_table_form(table=table, values=_case_table_values(table))
    try:
        data = load_form(CaseTableFormSchema())
        services.update_case_table(actor=current_user, case_table=table, **data)
    except INPUT_ERRORS as exc:
        return _render_case_table_form(table=table, values=_form_values(request.form),
                                       **rejected(exc))
    flash(_("Case table %(name)s saved.", name=table.name), "info")
    return redirect(url_for("casetables.case_table", case_table_id=table.id))


def _render_case_table(table, *, errors=None, status=200):
    sittings = queries.sittings_between(table, start=utcnow())
    return render_template("casetables/case_table.html", table=table, sittings=sittings,
                           errors=errors or {}, Status=SittingStatus,
                           Source=ScheduleSource), status


@bp.get("/casustafels/<int:case_table_id>")
@roles_required(*MANAGERS)
def case_table(case_table_id: int):
    """A case table with its upcoming sessions and their actions."""
    return _render_case_table(queries.get_case_table_for(current_user, case_table_id))


@bp.post("/casustafels/<int:case_table_id>/zittingen/genereren")
@roles_required(*MANAGERS)
def generate_sessions(case_table_id: int):
    """Generate the sessions of the recurrence rule up to the horizon."""
    table = queries.get_case_table_for(current_user, case_table_id)
    try:
        created = services.generate_sessions(actor=current_user, case_table=table)
    except REFUSALS as exc:
        refused(exc)
    else:
        flash(_("%(n)d sessions added.", n=created), "info")
    return redirect(url_for("casetables.case_table", case_table_id=table.id))


def _import_done(table, result):
    flash(_("Calendar imported: %(created)d new, %(updated)d changed, %(cancelled)d cancelled.",
            created=result.created, updated=result.updated, cancelled=result.cancelled), "info")
    if result.skipped_past:
        flash(ngettext("%(num)d event of the calendar lies in the past and was skipped: only "
                       "sessions from now on are imported.",
                       "%(num)d events of the calendar lie in the past and were skipped: only "
                       "sessions from now on are imported.", result.skipped_past), "info")
    return redirect(url_for("casetables.case_table", case_table_id=table.id))


@bp.post("/casustafels/<int:case_table_id>/ics")
@roles_required(*MANAGERS)
def upload_ics(case_table_id: int):
    """Import the sessions of an uploaded ICS file."""
    table = queries.get_case_table_for(current_user, case_table_id)
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise ValidationFailed(_("Choose a calendar file (.ics)."),
                                   fields={"file": [_("Choose a calendar file (.ics).")]})
        result = services.import_ics(actor=current_user, case_table=table, data=upload.read())
    except REFUSALS as exc:  # the calendar's one message, at its field
        status = rejected(exc)["status"]
        return _render_case_table(table, errors={"file": [exc.message]}, status=status)
    return _import_done(table, result)


@bp.post("/casustafels/<int:case_table_id>/ics/ophalen")
@roles_required(*MANAGERS)
def fetch_ics(case_table_id: int):
    """Fetch the case table's ICS address now and import it."""
    table = queries.get_case_table_for(current_user, case_table_id)
    try:
        result = services.import_ics_url(actor=current_user, case_table=table)
    except REFUSALS as exc:  # the calendar's one message, at its field
        status = rejected(exc)["status"]
        return _render_case_table(table, errors={"url": [exc.message]}, status=status)
    return _import_done(table, result)


# --- sessions -------------------------------------------------------------------------------

def _sitting_values(sitting) -> dict:
    start, end = to_local(sitting.starts_at), to_local(sitting.ends_at)
    return {"date": start.date().isoformat(), "start_time": start.strftime("%H:%M"),
            "end_time": end.strftime("%H:%M"), "location": sitting.location or "",
            "is_online": "y" if sitting.is_online else ""}


def _render_sitting(table, sitting, *, values=None, errors=None, status=200):
    return render_template("casetables/sitting.html", table=table, sitting=sitting,
                           values=values if values is not None else _sitting_values(sitting),
                           errors=errors or {}, Status=SittingStatus), status


@bp.get("/casustafels/<int:case_table_id>/zittingen/<int:sitting_id>")
@roles_required(*MANAGERS)
def sitting(case_table_id: int, sitting_id: int):
    """A session with the forms to move or cancel it."""
    table = queries.get_case_table_for(current_user, case_table_id)
    return _render_sitting(table, queries.get_sitting(table, sitting_id))


@bp.post("/casustafels/<int:case_table_id>/zittingen/<int:sitting_id>/verplaatsen")
@roles_required(*MANAGERS)
def move_sitting(case_table_id: int, sitting_id: int):
    """Move a session to another time or place."""
    table = queries.get_case_table_for(current_user, case_table_id)
    found = queries.get_sitting(table, sitting_id)
    try:
        data = load_form(MoveSittingSchema())
        services.move_sitting(actor=current_user, sitting=found, **data)
    except INPUT_ERRORS as exc:
        return _render_sitting(table, found, values=_form_values(request.form),
                               **rejected(exc))
    flash(_("The session has been moved."), "info")
    return redirect(url_for("casetables.case_table", case_table_id=table.id))


@bp.post("/casustafels/<int:case_table_id>/zittingen/<int:sitting_id>/annuleren")
@roles_required(*MANAGERS)
def cancel_sitting(case_table_id: int, sitting_id: int):
    """Cancel a session, with a reason, after a confirmation page."""
    table = queries.get_case_table_for(current_user, case_table_id)
    found = queries.get_sitting(table, sitting_id)
    try:
        data = load_form(CancelSittingSchema())
        page = confirm_step(
            title=_("Cancel a session"),
            question=_("Are you sure you want to cancel the session of %(name)s on %(when)s?",
                       name=table.name, when=format_datetime(to_local(found.starts_at),
                                                             "EEEE d MMMM y HH:mm",
                                                             rebase=False)),
            consequences=[_("Requests and bookings for this session are cancelled, and the "
                            "experts and requesters hear about it."),
                          _("This cannot be undone.")],
            button=_("Yes, cancel the session"),
            back=url_for("casetables.sitting", case_table_id=table.id, sitting_id=found.id),
            hidden=[(name, value) for name, value in request.form.items(multi=True)
                    if name not in ("csrf_token", "confirm")],
            first_step_posts=True)
        if page:
            return page
        services.cancel_sitting(actor=current_user, sitting=found, **data)
    except INPUT_ERRORS as exc:
        return _render_sitting(table, found, values={**_sitting_values(found),
                                                     "reason": request.form.get("reason", "")},
                               **rejected(exc))
    flash(_("The session has been cancelled."), "info")
    return redirect(url_for("casetables.case_table", case_table_id=table.id))
