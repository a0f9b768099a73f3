"""Pages for results: a requester evaluates a session held and may file a complaint; the
expert records a process note and answers a complaint; the coordinator decides complaints
and sees the results per expert."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from duidingspool import signals
from duidingspool.accounts.access import roles_required
from duidingspool.accounts.models import Role, User
from duidingspool.db import utcnow
from duidingspool.errors import NotFound
from duidingspool.referrals.models import Referral
from duidingspool.results import queries, services
from duidingspool.results.models import ComplaintStatus
from duidingspool.results.schemas import (
    AnswerSchema,
    ComplaintSchema,
    DecisionSchema,
    EvaluationSchema,
    ProcessNoteSchema,
)
from duidingspool.timeutil import to_local
from duidingspool.web import INPUT_ERRORS, load_form, rejected

bp = Blueprint("results", __name__)


@bp.app_context_processor
def _labels() -> dict:
    return {"complaint_kind_labels": services.kind_labels,
            "complaint_status_labels": services.status_labels}


# --- on the request page ----------------------------------------------------------------------

@signals.request_page_shown.connect
def _request_page_results(referral: Referral, *, actor: User, **_kwargs) -> dict:
    """The results part of a request page: per booking whose session has begun, its
    evaluation, process note and complaints, with what this user may do about them."""
    now = utcnow()
    bookings = services.bookings_begun(referral, now)
    if not bookings:
        return {}
    complaints = services.visible_complaints(actor)
    return {"results_rows": [{
        "booking": booking,
        "evaluation": services.evaluation_of(booking),
        "note": services.process_note_of(booking),
        "complaints": [c for c in complaints if c.booking_id == booking.id],
        "may_evaluate": services.is_requester_of(actor, booking) and services.held(booking, now),
        "may_complain": services.may_complain(actor, booking, now),
        "may_note": services.is_expert_of(actor, booking) and services.held(booking, now),
    } for booking in bookings]}


@signals.requests_page_shown.connect
def _requests_page_results(user: User, **_kwargs) -> dict:
    return {"awaiting_evaluation": services.awaiting_evaluation(user)}


# --- evaluations --------------------------------------------------------------------------

@bp.route("/boekingen/<int:booking_id>/evaluatie", methods=["GET", "POST"])
@roles_required(Role.REQUESTER)
def evaluate(booking_id: int):
    """The requester's evaluation of a session held."""
    booking = services.booking_for_requester(current_user, booking_id)
    existing = services.evaluation_of(booking)
    errors: dict = {}
    status = 200
    if request.method == "POST" and existing is None:
        try:
            data = load_form(EvaluationSchema())
            services.submit_evaluation(actor=current_user, booking=booking, **data)
        except INPUT_ERRORS as exc:
            failed = rejected(exc, field="_form")
            errors, status = failed["errors"], failed["status"]
        else:
            flash(_("Thank you: your evaluation has been saved."), "info")
            return redirect(url_for("referrals.detail", referral_id=booking.referral_id,
                                    _anchor="results"))
    return render_template("results/evaluate.html", booking=booking, evaluation=existing,
                           held=services.held(booking, utcnow()), errors=errors,
                           values=request.form), status


@bp.get("/terugkoppeling")
@roles_required(Role.REQUESTER)
def feedback():
    """The requester's sessions waiting for an evaluation, and their complaints."""
    return render_template("results/feedback.html",
                           awaiting=services.awaiting_evaluation(current_user),
                           complaints=services.visible_complaints(current_user))


# --- process notes ------------------------------------------------------------------------

@bp.route("/boekingen/<int:booking_id>/procesnotitie", methods=["GET", "POST"])
@roles_required(Role.EXPERT)
def process_note(booking_id: int):
    """The expert's process note on a session held (choices only, no case details)."""
    booking = services.booking_for_expert(current_user, booking_id)
    errors: dict = {}
    status = 200
    if request.method == "POST":
        try:
            data = load_form(ProcessNoteSchema())
            services.record_process_note(actor=current_user, booking=booking, **data)
        except INPUT_ERRORS as exc:
            failed = rejected(exc, field="_form")
            errors, status = failed["errors"], failed["status"]
        else:
            flash(_("Your process note has been saved."), "info")
            return redirect(url_for("bookings.my_bookings"))
    return render_template("results/process_note.html", booking=booking,
                           note=services.process_note_of(booking),
                           held=services.held(booking, utcnow()), errors=errors), status


# --- complaints ---------------------------------------------------------------------------

@bp.route("/boekingen/<int:booking_id>/klacht", methods=["GET", "POST"])
@roles_required(Role.REQUESTER)
def complain(booking_id: int):
    """File a complaint about a booking of the requester's municipality."""
    booking = services.booking_for_requester(current_user, booking_id)
    now = utcnow()
    errors: dict = {}
    status = 200
    if request.method == "POST":
        try:
            data = load_form(ComplaintSchema())
            complaint = services.file_complaint(actor=current_user, booking=booking, now=now,
                                                **data)
        except INPUT_ERRORS as exc:
            failed = rejected(exc, field="_form")
            errors, status = failed["errors"], failed["status"]
        else:
            flash(_("Your complaint has been filed. The expert is told and may answer; "
                    "the coordinator decides."), "info")
            return redirect(url_for("results.complaint", complaint_id=complaint.id))
    return render_template("results/complain.html", booking=booking,
                           may_complain=services.may_complain(current_user, booking, now),
                           deadline=to_local(services.complaint_deadline(booking)),
                           errors=errors, values=request.form), status


@bp.get("/klachten")
@roles_required(Role.COORDINATOR, Role.EXPERT, Role.REQUESTER)
def complaints():
    """Complaints the user may see: undecided first."""
    return render_template("results/complaints.html",
                           complaints=services.visible_complaints(current_user))


def _render_complaint(complaint, *, errors=None, status=200):
    booking = complaint.booking
    return render_template(
        "results/complaint.html", complaint=complaint, booking=booking,
        may_answer=(complaint.status == ComplaintStatus.OPEN
                    and services.is_expert_of(current_user, booking)),
        may_decide=(not complaint.decided and current_user.has_role(Role.COORDINATOR)),
        errors=errors or {}, values=request.form), status


@bp.get("/klachten/<int:complaint_id>")
@roles_required(Role.COORDINATOR, Role.EXPERT, Role.REQUESTER)
def complaint(complaint_id: int):
    return _render_complaint(services.get_complaint_for(current_user, complaint_id))


def _complaint_step(complaint_id: int, schema, step, done: str):
    """One step on a complaint's page (the expert's answer, the coordinator's decision):
    the page again with the messages when refused, else back to it with `done`."""
    found = services.get_complaint_for(current_user, complaint_id)
    try:
        step(actor=current_user, complaint=found, **load_form(schema))
    except INPUT_ERRORS as exc:
        failed = rejected(exc, field="_form")
        return _render_complaint(services.get_complaint_for(current_user, complaint_id),
                                 errors=failed["errors"], status=failed["status"])
    flash(done, "info")
    return redirect(url_for("results.complaint", complaint_id=complaint_id))


@bp.post("/klachten/<int:complaint_id>/antwoord")
@roles_required(Role.EXPERT)
def answer(complaint_id: int):
    """The expert's answer to a complaint about their booking."""
    return _complaint_step(complaint_id, AnswerSchema(), services.answer_complaint,
                           _("Your answer has been saved."))


@bp.post("/klachten/<int:complaint_id>/besluit")
@roles_required(Role.COORDINATOR)
def decide(complaint_id: int):
    """The coordinator's decision on a complaint."""
    return _complaint_step(complaint_id, DecisionSchema(), services.decide_complaint,
                           _("The decision has been recorded."))


# --- the coordinator's results per expert ----------------------------------------------------

@bp.get("/resultaten")
@roles_required(Role.COORDINATOR)
def per_expert():
    """Results per expert for the coordinator's own use (never in the year report)."""
    now = utcnow()
    year = request.args.get("jaar", type=int) or to_local(now).year
    if not 2000 <= year <= 2100:
        raise NotFound(_("This page does not exist or is not available to you."))
    return render_template(
        "results/per_expert.html", year=year,
        rows=queries.expert_results(year=year, now=now),
        totals=queries.year_results(year=year, now=now, locale=str(get_locale())).totals)
