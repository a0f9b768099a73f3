"""Request pages for requesters, and the coordinator's inbox."""

from __future__ import annotations

from itertools import groupby

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import EXCLUDE
from marshmallow import ValidationError as SchemaError
from werkzeug.datastructures import MultiDict

from duidingspool import formats, signals
from duidingspool.accounts.access import roles_required
from duidingspool.accounts.models import Role
from duidingspool.extensions import db
from duidingspool.referrals import queries, services
from duidingspool.referrals.models import ReferralStatus
from duidingspool.referrals.schemas import RequestCancelSchema, RequestInputSchema
from duidingspool.web import INPUT_ERRORS, page_number, rejected

bp = Blueprint("referrals", __name__, url_prefix="/verzoeken")

PER_PAGE = 50
# Languages offered in the form (ISO 639-1); the API accepts any code.
FORM_LANGUAGES = ("nl", "en", "de", "fr", "ar", "tr", "ku", "fa", "ps", "ur", "so", "ti",
                  "bs", "sq", "ru", "pl")
_SCALAR_FIELDS = ("case_table_id", "session_id", "window_start", "window_end", "language",
                  "mode", "estimated_hours", "urgency", "case_code", "question", "previous_id")


def form_payload(form) -> dict:
    """The request form as the API's JSON body: areas from checkboxes `area` with the
    level in `level_<id>`; empty inputs left out; a decimal comma accepted for hours."""
    payload: dict = {}
    for name in _SCALAR_FIELDS:
        value = form.get(name, "").strip()
        if value != "":
            payload[name] = value
    if "estimated_hours" in payload:
        payload["estimated_hours"] = payload["estimated_hours"].replace(",", ".")
    payload["areas"] = [
        {"area_id": area_id, "min_level": form.get(f"level_{area_id}") or 1}
        for area_id in form.getlist("area") if area_id != ""
    ]
    return payload


def _form_context(values) -> dict:
    sessions = queries.upcoming_sessions(current_user)
    grouped = [(table, list(items)) for table, items in
               groupby(sessions, key=lambda s: s.case_table)]
    locale = get_locale()
    return {
        "values": values,
        "case_tables": list(db.session.scalars(queries.requestable_case_tables(current_user,
                                                                            active_only=True))),
        "session_groups": grouped,
        "areas": queries.active_areas(),
        "earlier": queries.earlier_requests(current_user),
        "languages": [(code, formats.language_name(code)) for code in FORM_LANGUAGES],
        "locale": str(locale),
    }


def _next_session(session_groups, case_table_id: str | None):
    """The first upcoming session of the chosen case table, or of any case table."""
    candidates = [s for _table, sessions in session_groups for s in sessions
                  if case_table_id is None or str(s.case_table_id) == case_table_id]
    return min(candidates, key=lambda s: s.starts_at, default=None)


def _with_defaults(values: MultiDict, context: dict) -> MultiDict:
    """A new form's choices before the user makes them: the only case table, and the next
    session of the chosen case table (unless the link already chose, or asked for a date
    window with `session_id=`)."""
    defaults = values.to_dict(flat=False)
    if "case_table_id" not in values and len(context["case_tables"]) == 1:
        defaults["case_table_id"] = [str(context["case_tables"][0].id)]
    if "session_id" not in values and not values.get("window_start"):
        chosen = (defaults.get("case_table_id") or [None])[0] or None
        upcoming = _next_session(context["session_groups"], chosen)
        if upcoming is not None:
            defaults["session_id"] = [str(upcoming.id)]
            defaults.setdefault("case_table_id", [str(upcoming.case_table_id)])
    return MultiDict(defaults)


@bp.get("/")
@roles_required(Role.REQUESTER)
def index():
    """The requests of the requester's municipality, newest first."""
    status = request.args.get("status", "all")
    pagination = db.paginate(
        queries.list_for(current_user, statuses=queries.statuses_for_filter(status),
                         order="newest"),
        page=page_number(), per_page=PER_PAGE, error_out=False,
    )
    return render_template("referrals/index.html", pagination=pagination, status=status,
                           statuses=list(ReferralStatus),
                           **signals.gather(signals.requests_page_shown, current_user))


@bp.route("/nieuw", methods=["GET", "POST"])
@roles_required(Role.REQUESTER)
def create():
    """The new-request form; on an error it comes back with messages and the typed input."""
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = request.form
        try:
            data = RequestInputSchema().load(form_payload(request.form), unknown=EXCLUDE)
            referral = services.create(actor=current_user, data=data)
        except INPUT_ERRORS as exc:
            errors = rejected(exc)["errors"]
            if isinstance(exc, SchemaError):  # privacy and every rule too, in the same round
                errors = services.input_error(
                    fields=errors, question=request.form.get("question"),
                    case_code=request.form.get("case_code"), actor=current_user,
                    valid=exc.valid_data if isinstance(exc.valid_data, dict) else {}).fields
        else:
            flash(_("Request %(reference)s has been submitted.", reference=referral.reference),
                  "info")
            return redirect(url_for("referrals.detail", referral_id=referral.id))
    else:
        values = MultiDict(request.args)
    context = _form_context(values)
    if request.method == "GET":
        context["values"] = _with_defaults(values, context)
    status = 422 if errors else 200
    return render_template("referrals/form.html", errors=errors, **context), status


@bp.get("/<int:referral_id>")
@roles_required(Role.REQUESTER, Role.COORDINATOR, Role.EXPERT)
def detail(referral_id: int):
    """One request with its question text (the read is audited): for its requester's
    municipality and the coordinator, and for an expert while it is offered to them or
    booked for them (need to know); 404 for anyone else."""
    referral = queries.get_readable(current_user, referral_id)
    question = services.read_question(actor=current_user, referral=referral)
    return render_template("referrals/detail.html", referral=referral, question=question,
                           may_cancel=services.may_cancel(current_user, referral),
                           acts_for=services.acts_for(current_user, referral),
                           locale=str(get_locale()),
                           **signals.gather(signals.request_page_shown, referral,
                                            actor=current_user))


@bp.route("/<int:referral_id>/annuleren", methods=["GET", "POST"])
@roles_required(Role.REQUESTER, Role.COORDINATOR)
def cancel(referral_id: int):
    """Confirm and cancel a request, with a reason."""
    referral = queries.get_for(current_user, referral_id)
    errors: dict[str, list[str]] = {}
    values = request.form
    if request.method == "POST":
        try:
            data = RequestCancelSchema().load({"reason": request.form.get("reason", "").strip()}
                                            if request.form.get("reason", "").strip() else {})
            services.cancel(actor=current_user, referral=referral, reason=data["reason"])
        except INPUT_ERRORS as exc:
            errors = rejected(exc)["errors"]
        else:
            flash(_("Request %(reference)s has been cancelled.", reference=referral.reference),
                  "info")
            return redirect(url_for("referrals.detail", referral_id=referral.id))
    return render_template("referrals/cancel.html", referral=referral, errors=errors,
                           values=values,
                           may_cancel=services.may_cancel(current_user, referral)
                           ), 422 if errors else 200


@bp.get("/inbox")
@roles_required(Role.COORDINATOR)
def inbox():
    """All requests, most urgent and newest first; open ones unless filtered otherwise."""
    status = request.args.get("status", "open")
    pagination = db.paginate(
        queries.list_for(current_user, statuses=queries.statuses_for_filter(status),
                         order="inbox"),
        page=page_number(), per_page=PER_PAGE, error_out=False,
    )
    return render_template("referrals/inbox.html", pagination=pagination, status=status,
                           statuses=list(ReferralStatus), locale=str(get_locale()))
