"""Hour pages: the expert's lines per booking, and the coordinator's approvals."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError as SchemaError

from duidingspool.accounts.access import roles_required
from duidingspool.accounts.models import Role
from duidingspool.bookings import queries as booking_queries
from duidingspool.hours import services
from duidingspool.hours.models import HourCategory
from duidingspool.hours.schemas import BulkDecisionSchema, HourLineInSchema, RejectSchema
from duidingspool.ui import confirm_step
from duidingspool.web import INPUT_ERRORS, REFUSALS, load_form, page_number, refused, rejected

bp = Blueprint("hours", __name__)


def _rejected(exc) -> dict:
    """`rejected`, with a domain error's message at `_form` when it names no field (one
    message per problem: a field's message is shown at the field and in the summary)."""
    return rejected(exc, field="_form")


def _render_booking(booking, *, status: int = 200, values=None, errors=None, edit=None):
    lines = services.lines_of(booking)
    return render_template(
        "hours/booking.html", booking=booking, lines=lines, values=values or {},
        errors=errors or {}, edit=edit, categories=[c.value for c in HourCategory],
        is_owner=current_user.has_role(Role.EXPERT) and booking.expert_id == getattr(
            current_user.expert, "id", None),
        total_minutes=sum(line.minutes for line in lines),
        total_amount=sum((line.amount for line in lines if line.amount is not None), 0),
        may_record=services.may_record(booking), own_expert_id=_own_expert_id(),
    ), status


def _own_expert_id() -> int | None:
    """The logged-in user's expert id: their own lines are not theirs to decide."""
    own = current_user.expert
    return own.id if own is not None else None


@bp.get("/mijn-uren")
@roles_required(Role.EXPERT)
def my_hours():
    """The expert's bookings, each linking to its hours: the upcoming ones, then the past and
    cancelled ones a page at a time (`?page=`), newest first."""
    own = current_user.expert
    return render_template(
        "hours/my_hours.html", upcoming=booking_queries.expert_upcoming_bookings(own),
        past=booking_queries.expert_past_bookings(
            own, page=page_number(),
            per_page=current_app.config["EXPERT_HISTORY_PAGE"]))


@bp.get("/boekingen/<int:booking_id>/uren")
@roles_required(Role.EXPERT, Role.COORDINATOR)
def booking_hours(booking_id: int):
    """A booking's hour lines: the expert records and submits, the coordinator decides."""
    booking = services.get_booking_for_hours(current_user, booking_id)
    edit = request.args.get("wijzig", type=int)
    values = None
    if edit is not None:
        line = services.get_line_for(current_user, edit)
        if line.booking_id != booking.id or line.status not in services.EDITABLE:
            edit = None
        else:
            values = {"category": line.category, "hours": f"{line.minutes // 60}:{line.minutes % 60:02d}",
                      "kilometres": line.kilometres if line.kilometres is not None else "",
                      "note": line.note or ""}
    return _render_booking(booking, values=values, edit=edit)


@bp.post("/boekingen/<int:booking_id>/uren")
@roles_required(Role.EXPERT)
def add(booking_id: int):
    """Record an hour line as a draft, or submit it at once."""
    booking = services.get_booking_for_hours(current_user, booking_id)
    try:
        data = load_form(HourLineInSchema())
        data["submit"] = request.form.get("action") == "submit"
        services.add_line(actor=current_user, booking=booking, **data)
    except INPUT_ERRORS as exc:
        return _render_booking(booking, values=request.form, **_rejected(exc))
    flash(_("The hours have been saved."), "info")
    return redirect(url_for("hours.booking_hours", booking_id=booking.id))


@bp.post("/uren/<int:line_id>/wijzigen")
@roles_required(Role.EXPERT)
def update(line_id: int):
    """Change a draft or rejected line."""
    line = services.get_line_for(current_user, line_id)
    booking = line.booking
    try:
        data = load_form(HourLineInSchema())
        data.pop("submit", None)
        services.update_line(actor=current_user, line=line, **data)
    except INPUT_ERRORS as exc:
        return _render_booking(booking, values=request.form, **_rejected(exc), edit=line_id)
    flash(_("The line has been changed."), "info")
    return redirect(url_for("hours.booking_hours", booking_id=booking.id))


@bp.route("/uren/<int:line_id>/verwijderen", methods=["GET", "POST"])
@roles_required(Role.EXPERT)
def remove(line_id: int):
    """Delete a draft or rejected line, after confirmation."""
    line = services.get_line_for(current_user, line_id)
    booking_id = line.booking_id
    page = confirm_step(
        title=_("Delete an hour line"),
        question=_("Are you sure you want to delete this line (%(hours)s hours)?",
                   hours=f"{line.minutes // 60}:{line.minutes % 60:02d}"),
        button=_("Yes, delete the line"),
        back=url_for("hours.booking_hours", booking_id=booking_id))
    if page:
        return page
    try:
        services.delete_line(actor=current_user, line=line)
    except REFUSALS as exc:
        refused(exc)
    else:
        flash(_("The line has been deleted."), "info")
    return redirect(url_for("hours.booking_hours", booking_id=booking_id))


@bp.post("/boekingen/<int:booking_id>/uren/indienen")
@roles_required(Role.EXPERT)
def submit(booking_id: int):
    """Submit every draft (and changed rejected) line of the booking for approval."""
    booking = services.get_booking_for_hours(current_user, booking_id)
    try:
        count = services.submit_booking(actor=current_user, booking=booking)
    except INPUT_ERRORS as exc:
        return _render_booking(booking, **_rejected(exc))
    flash(_("%(count)s lines have been submitted for approval.", count=count), "info")
    return redirect(url_for("hours.booking_hours", booking_id=booking.id))


@bp.get("/uren/goedkeuren")
@roles_required(Role.COORDINATOR)
def approvals():
    """Every submitted line, grouped by booking, to approve or reject in bulk."""
    return _render_approvals()


def _render_approvals(*, status: int = 200, errors=None, values=None):
    # A national pool has well over a thousand lines waiting at the end of a month: the
    # page shows the oldest APPROVALS_PAGE_LINES (rendering them all took a second).
    limit = current_app.config["APPROVALS_PAGE_LINES"]
    lines = services.submitted_lines(limit=limit)
    total = len(lines) if len(lines) < limit else services.count_submitted_lines()
    return render_template("hours/approvals.html", lines=lines, total=total,
                           errors=errors or {}, values=values or {},
                           own_expert_id=_own_expert_id()), status


@bp.post("/uren/besluiten")
@roles_required(Role.COORDINATOR)
def decide():
    """Approve or reject the ticked lines (all of them, or none when one fails)."""
    back = request.form.get("back")
    try:
        data = load_form(BulkDecisionSchema())
        lines = services.decide_many(actor=current_user, line_ids=data["line_ids"],
                                     approve_them=data["decision"] == "approve",
                                     reason=data.get("reason"))
    except INPUT_ERRORS as exc:
        failed = _rejected(exc)
        if isinstance(exc, SchemaError) and "line_ids" in failed["errors"]:
            failed["errors"]["line_ids"] = [_("Choose one or more lines.")]
        return _render_approvals(values=request.form, **failed)
    if data["decision"] == "approve":
        flash(_("%(count)s lines approved.", count=len(lines)), "info")
    else:
        flash(_("%(count)s lines rejected.", count=len(lines)), "info")
    if back and back.isdigit():
        return redirect(url_for("hours.booking_hours", booking_id=int(back)))
    return redirect(url_for("hours.approvals"))


@bp.post("/uren/<int:line_id>/afwijzen")
@roles_required(Role.COORDINATOR)
def reject_one(line_id: int):
    """Reject one submitted line with a reason."""
    line = services.get_line_for(current_user, line_id)
    try:
        data = load_form(RejectSchema())
        services.reject(actor=current_user, line=line, reason=data["reason"])
    except INPUT_ERRORS as exc:
        return _render_booking(line.booking, **_rejected(exc))
    flash(_("The line has been rejected."), "info")
    return redirect(url_for("hours.booking_hours", booking_id=line.booking_id))


