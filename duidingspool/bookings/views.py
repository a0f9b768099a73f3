"""Pages for offers and bookings: the coordinator's candidates and offers on the request page,
the expert's offers and bookings, cancelling a booking, and the coordinator's conflicts."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError as SchemaError
from werkzeug.datastructures import MultiDict

from duidingspool import signals
from duidingspool.accounts.access import roles_required
from duidingspool.accounts.models import Role, User
from duidingspool.bookings import planning, queries, services, standing
from duidingspool.bookings.candidates import rank_request
from duidingspool.bookings.models import OfferStatus
from duidingspool.bookings.schemas import (
    DirectBookingSchema,
    OfferCreateSchema,
    ReasonSchema,
    RequiredReasonSchema,
    StandingAcceptSchema,
    StandingProposeSchema,
    SubstituteSchema,
)
from duidingspool.db import utcnow
from duidingspool.casetables.queries import get_case_table_for
from duidingspool.errors import BudgetExceeded, DomainError, Forbidden, NotFound
from duidingspool.experts.models import Expert
from duidingspool.extensions import db
from duidingspool.referrals import services as referral_services
from duidingspool.referrals.models import Referral
from duidingspool.referrals.queries import get_for as get_referral_for
from duidingspool.timeutil import local_to_utc, to_local
from duidingspool.ui import confirm_step
from duidingspool.web import (INPUT_ERRORS, REFUSALS, field_errors, load_form, page_number, refused,
                             rejected)

bp = Blueprint("bookings", __name__)

# The value format of <input type="datetime-local">.
LOCAL_INPUT_FORMAT = "%Y-%m-%dT%H:%M"


# --- the panel on the request page ----------------------------------------------------------

def _local_input(value: datetime | None) -> str:
    return to_local(value).strftime(LOCAL_INPUT_FORMAT) if value is not None else ""


def _default_offer_values(referral: Referral, *, now: datetime) -> MultiDict:
    """The offer form's defaults: the answer deadline as the service would set it."""
    expires = services.default_expiry(referral, now=now)
    return MultiDict({"expires_at": _local_input(expires.replace(second=0, microsecond=0))})


def _shown_candidates(ranking, *, show_all: bool, values, errors: dict) -> list:
    """The candidates the offer form lists: the best CANDIDATES_SHOWN in ranking order, or
    all of them; never without one the coordinator ticked or an error names."""
    if show_all:
        return ranking.candidates
    keep = set(values.getlist("expert_ids")) if values is not None else set()
    keep.update(key for key in errors if key.isdigit())
    limit = current_app.config["CANDIDATES_SHOWN"]
    return [c for position, c in enumerate(ranking.candidates)
            if position < limit or str(c.expert_id) in keep]


def _exclusions_by_rule(ranking) -> list[tuple[str, int]]:
    """How many experts each rule excluded, the most first."""
    return Counter(e.rule for e in ranking.excluded).most_common()


def request_panel(actor: User, referral: Referral, *, values=None,
                  errors: dict | None = None, message: str | None = None,
                  now: datetime | None = None, budget_refused: bool = False,
                  all_candidates: bool = False, all_excluded: bool = False) -> dict:
    """What templates/bookings/_request_panel.html shows on the request page for `actor`.
    `all_candidates` and `all_excluded` ask for the full lists instead of the best
    candidates and a count of the excluded per reason."""
    now = now or utcnow()
    booking = services.booking_shown_on_request(actor, referral)
    own = actor.expert if actor.has_role(Role.EXPERT) else None
    panel = {
        "booking": booking,
        # An expert's own offer of this request, with its answer buttons.
        "my_offer": queries.answerable_offer(own, referral, now=now),
        "offers": [],
        "ranking": None,
        "offer_values": values,
        "offer_errors": errors or {},
        "offer_message": message,
        "expert_names": {},
        "offered_status": {},
        "rule_messages": services.RULE_MESSAGES,
        "may_cancel_booking": services.may_cancel_booking(actor, booking),
        "now": now,
        # The budget check refused the offer: show the override reason field.
        "budget_refused": budget_refused or bool(values and values.get("budget_override_reason")),
        # The case table's standing specialist on the request's date, if it has one.
        "standing": standing.standing_of_request(referral),
    }
    if actor.has_role(Role.COORDINATOR):
        panel["offers"] = queries.offers_of(referral)
        # An expert gets one offer per request: show their offer's status instead of a box.
        panel["offered_status"] = {o.expert_id: o.status for o in panel["offers"]}
        if referral.is_open:
            ranking = rank_request(referral=referral)
            panel["ranking"] = ranking
            panel["positions"] = {c.expert_id: n for n, c in enumerate(ranking.candidates, 1)}
            panel["candidates_shown"] = _shown_candidates(
                ranking, show_all=all_candidates, values=values, errors=errors or {})
            panel["all_excluded"] = all_excluded
            panel["exclusions_by_rule"] = _exclusions_by_rule(ranking)
            panel["expert_names"] = {str(e.expert_id): e.name
                                     for e in [*ranking.candidates, *ranking.excluded]}
            if values is None:
                panel["offer_values"] = _default_offer_values(referral, now=now)
        panel["expert_names"].update({str(o.expert_id): o.expert.user.name
                                      for o in panel["offers"]})
        # Every step (offers sent, expired, escalated, accepted; alerts) in order.
        panel["history"] = queries.history_of(referral)
        panel["offer_experts"] = {o.id: o.expert.user.name for o in panel["offers"]}
    return panel


@signals.request_page_shown.connect
def _request_page_panel(referral: Referral, *, actor: User, **_kwargs) -> dict:
    return request_panel(actor, referral, **_full_lists())


def _full_lists() -> dict:
    """?kandidaten=alle and ?uitgesloten=alle: the request page's full lists."""
    return {"all_candidates": request.args.get("kandidaten") == "alle",
            "all_excluded": request.args.get("uitgesloten") == "alle"}


@signals.home_page_shown.connect
def _expert_home(user: User, **_kwargs) -> dict:
    """An expert's start page: offers waiting for an answer (soonest deadline first), then
    upcoming bookings."""
    own = user.expert if user.has_role(Role.EXPERT) else None
    if own is None:
        return {}
    return {"expert_home": True, "open_offers": queries.expert_open_offers(own),
            "upcoming": queries.expert_upcoming_bookings(own),
            "series_offers": standing.open_series_offers(own)}


def _render_request(referral: Referral, *, status: int, **panel):
    """The request page again (as referrals.detail renders it), with the offer form's errors."""
    question = referral_services.read_question(actor=current_user, referral=referral)
    return render_template(
        "referrals/detail.html", referral=referral, question=question,
        may_cancel=referral_services.may_cancel(current_user, referral),
        acts_for=referral_services.acts_for(current_user, referral),
        locale=str(get_locale()), **request_panel(current_user, referral, **panel),
    ), status


def _aware_iso(raw: str) -> str:
    """A datetime-local value (Amsterdam wall time) as ISO 8601 with offset; anything
    unreadable is passed on as typed, for the schema to name."""
    try:
        return local_to_utc(datetime.fromisoformat(raw)).isoformat()
    except (ValueError, OverflowError):  # OverflowError: a wall time near year 1
        return raw


def offer_payload(form) -> tuple[dict, dict[str, list[str]]]:
    """The offer form as the API's JSON body, and the errors only the form can make.

    The chosen candidates are checkboxes `expert_ids` in ranked order, each with an
    optional position in `order_<id>`; the queue follows the positions, then the ranking.
    """
    errors: dict[str, list[str]] = {}
    chosen: list[tuple[float, int, int]] = []
    for index, raw in enumerate(form.getlist("expert_ids")):
        if not raw.strip().isdigit():
            errors["expert_ids"] = [_("Choose candidates from the list.")]
            continue
        expert_id = int(raw)
        order = form.get(f"order_{expert_id}", "").strip()
        if order and not order.isdigit():
            errors[f"order_{expert_id}"] = [_("Give the position as a whole number.")]
        chosen.append((int(order) if order.isdigit() else float("inf"), index, expert_id))
    if not chosen and "expert_ids" not in errors:
        errors["expert_ids"] = [_("Choose one or more candidates.")]
    payload: dict = {"expert_ids": [expert_id for _o, _i, expert_id in sorted(chosen)]}
    for name in ("starts_at", "ends_at", "expires_at"):
        raw = form.get(name, "").strip()
        if raw:
            payload[name] = _aware_iso(raw)
    reason = form.get("budget_override_reason", "").strip()
    if reason:
        payload["budget_override_reason"] = reason
    return payload, errors


@bp.post("/verzoeken/<int:referral_id>/aanbiedingen")
@roles_required(Role.COORDINATOR)
def offer(referral_id: int):
    """Offer the request to the chosen candidates: the first is asked, the others queued."""
    referral = get_referral_for(current_user, referral_id)
    payload, form_errors = offer_payload(request.form)
    try:
        data = OfferCreateSchema().load(payload)
        if form_errors:
            raise SchemaError(form_errors)
        offers = services.make_offers(actor=current_user, referral=referral, **data)
    except INPUT_ERRORS as exc:
        status = rejected(exc)["status"]
        return _render_request(referral, status=status, values=request.form,
                               errors={**field_errors(exc), **form_errors},
                               message=getattr(exc, "message", None),
                               budget_refused=isinstance(exc, BudgetExceeded))
    flash(_("The request has been offered to %(name)s.", name=offers[0].expert.user.name)
          if len(offers) == 1 else
          _("The request has been offered to %(count)s experts in queue order.",
            count=len(offers)), "info")
    return redirect(url_for("referrals.detail", referral_id=referral.id, _anchor="offers"))


@bp.route("/aanbiedingen/<int:offer_id>/intrekken", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def withdraw(offer_id: int):
    """Withdraw a pending or queued offer after confirmation; a pending one passes to the
    next in the queue."""
    found = services.get_offer_for(current_user, offer_id)
    referral_id = found.referral_id
    page = confirm_step(
        title=_("Withdraw an offer"),
        question=_("Are you sure you want to withdraw the offer to %(name)s?",
                   name=found.expert.user.name),
        consequences=[_("The expert can no longer accept it; a pending offer passes to the "
                        "next expert in the queue.")],
        button=_("Yes, withdraw the offer"),
        back=url_for("referrals.detail", referral_id=referral_id, _anchor="offers"))
    if page:
        return page
    try:
        services.withdraw(actor=current_user, offer=found)
    except REFUSALS as exc:
        refused(exc)
    else:
        flash(_("The offer has been withdrawn."), "info")
    return redirect(url_for("referrals.detail", referral_id=referral_id, _anchor="offers"))


def _render_direct(referral: Referral, expert_id: int, *, status: int = 200, values=None,
                   errors: dict | None = None, budget_refused: bool = False):
    """The confirmation page of a direct booking: who, when, what it costs, which open
    offers will be withdrawn, or why the expert cannot be booked."""
    expert = db.session.get(Expert, expert_id)
    if expert is None:
        raise NotFound(_("Expert not found."))
    ranking = rank_request(referral=referral) if referral.is_open else None
    candidate = exclusion = None
    if ranking is not None:
        candidate = next((c for c in ranking.candidates if c.expert_id == expert_id), None)
        exclusion = next((e for e in ranking.excluded if e.expert_id == expert_id), None)
    values = values if values is not None else MultiDict()
    return render_template(
        "bookings/direct.html", referral=referral, expert=expert, ranking=ranking,
        candidate=candidate, exclusion=exclusion, rule_messages=services.RULE_MESSAGES,
        open_offers=[o for o in queries.offers_of(referral)
                     if o.status in (OfferStatus.PENDING, OfferStatus.QUEUED)
                     and o.expert_id != expert_id],
        values=values, errors=errors or {}, locale=str(get_locale()),
        budget_refused=budget_refused or bool(values.get("budget_override_reason")),
    ), status


def direct_payload(form, expert_id: int) -> dict:
    """The direct-booking form as the API's JSON body (local times made aware)."""
    payload: dict = {"expert_id": expert_id}
    for name in ("starts_at", "ends_at"):
        raw = form.get(name, "").strip()
        if raw:
            payload[name] = _aware_iso(raw)
    reason = form.get("budget_override_reason", "").strip()
    if reason:
        payload["budget_override_reason"] = reason
    return payload


@bp.route("/verzoeken/<int:referral_id>/boeken/<int:expert_id>", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def direct_booking(referral_id: int, expert_id: int):
    """Confirm, then book a candidate directly (agreed by phone, say); the request's open
    offers are withdrawn."""
    referral = get_referral_for(current_user, referral_id)
    if request.method == "GET":
        return _render_direct(referral, expert_id)
    try:
        data = DirectBookingSchema().load(direct_payload(request.form, expert_id))
        booking = services.book_directly(actor=current_user, referral=referral, **data)
    except INPUT_ERRORS as exc:
        failed = rejected(exc, field="_form")
        if isinstance(exc, DomainError):
            failed["errors"].setdefault("_form", [exc.message])
        return _render_direct(referral, expert_id, values=request.form,
                              budget_refused=isinstance(exc, BudgetExceeded), **failed)
    flash(_("%(name)s has been booked for this request.", name=booking.expert.user.name),
          "info")
    return redirect(url_for("referrals.detail", referral_id=referral.id, _anchor="booking"))


# --- the expert's pages ---------------------------------------------------------------------

def _history_args() -> dict:
    """`page` and `per_page` of an expert's paged history (`?page=`, as the inbox)."""
    return {"page": page_number(),
            "per_page": current_app.config["EXPERT_HISTORY_PAGE"]}


def _render_my_offers(*, status: int = 200, offer_errors: dict | None = None,
                      values: dict | None = None):
    own = current_user.expert
    return render_template("bookings/my_offers.html",
                           open_offers=queries.expert_open_offers(own, expertise=True),
                           series_offers=standing.open_series_offers(own),
                           past_offers=queries.expert_past_offers(own, **_history_args()),
                           offer_errors=offer_errors or {},
                           values=values or {}, locale=str(get_locale())), status


@bp.get("/aanbiedingen")
@roles_required(Role.EXPERT)
def my_offers():
    """The expert's open offers to answer, and their earlier ones a page at a time."""
    return _render_my_offers()


@bp.post("/aanbiedingen/<int:offer_id>/accepteren")
@roles_required(Role.EXPERT)
def accept(offer_id: int):
    """Accept an offer: the expert is booked, or told why that is no longer possible."""
    found = services.get_offer_for(current_user, offer_id)
    try:
        services.accept(actor=current_user, offer=found)
    except REFUSALS as exc:
        return _render_my_offers(status=rejected(exc)["status"],
                                 offer_errors={offer_id: [exc.message]})
    flash(_("You have accepted the offer and are booked."), "info")
    return redirect(url_for("bookings.my_bookings"))


@bp.post("/aanbiedingen/<int:offer_id>/afwijzen")
@roles_required(Role.EXPERT)
def decline(offer_id: int):
    """Decline an offer, optionally with a reason; the next expert in the queue is asked."""
    found = services.get_offer_for(current_user, offer_id)
    try:
        data = load_form(ReasonSchema())
        services.decline(actor=current_user, offer=found, reason=data.get("reason"))
    except INPUT_ERRORS as exc:
        failed = rejected(exc)
        messages = [m for ms in field_errors(exc).values() for m in ms]
        if isinstance(exc, DomainError):
            messages = [exc.message, *messages]
        return _render_my_offers(status=failed["status"],
                                 offer_errors={offer_id: messages},
                                 values={offer_id: request.form.get("reason", "")})
    flash(_("You have declined the offer."), "info")
    return redirect(url_for("bookings.my_offers"))


@bp.get("/boekingen/mijn")
@roles_required(Role.EXPERT)
def my_bookings():
    """The expert's upcoming bookings, and past or cancelled ones a page at a time."""
    own = current_user.expert
    return render_template("bookings/my_bookings.html",
                           upcoming=queries.expert_upcoming_bookings(own),
                           past=queries.expert_past_bookings(own, **_history_args()))


# --- bookings for coordinators and requesters -----------------------------------------------

@bp.get("/boekingen")
@roles_required(Role.COORDINATOR)
def overview():
    """Upcoming confirmed bookings, with the conflicts left by moved sessions first."""
    return render_template("bookings/overview.html", conflicts=queries.conflicted_bookings(),
                           upcoming=queries.upcoming_bookings(),
                           rule_messages=services.RULE_MESSAGES)


def _weekday_names() -> list[str]:
    """Monday to Sunday in the interface language."""
    from babel.dates import get_day_names

    names = get_day_names("wide", locale=get_locale())
    return [names[day] for day in range(7)]


@bp.get("/planning")
@roles_required(Role.COORDINATOR)
def planning_month():
    """The month at a glance: every case table's sessions with the state of their requests,
    as a calendar and as a list (`?maand=2026-12`; `?weergave=lijst` for the list alone)."""
    today = to_local(utcnow()).date()
    errors: dict[str, list[str]] = {}
    try:
        month = planning.parse_month(request.args.get("maand"), today=today)
    except REFUSALS as exc:
        errors = rejected(exc, field="maand")["errors"]
        month = planning.parse_month(None, today=today)
    plan = planning.month_plan(month)
    return render_template(
        "bookings/planning.html", plan=plan, errors=errors, today=today,
        list_only=request.args.get("weergave") == "lijst", weekdays=_weekday_names(),
        typed=request.args.get("maand", month.key) if errors else month.key,
        states=planning.STATE_ORDER), 422 if errors else 200


@bp.route("/boekingen/<int:booking_id>/annuleren", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR, Role.REQUESTER)
def cancel(booking_id: int):
    """Confirm and cancel a booking with a reason; the request goes back to be offered."""
    booking = services.get_booking_for(current_user, booking_id)
    reoffer = request.values.get("reoffer") == "1"
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        try:
            data = load_form(RequiredReasonSchema())
            services.cancel_booking(actor=current_user, booking=booking, reason=data["reason"])
        except INPUT_ERRORS as exc:
            failed = rejected(exc, field="_form")
            errors, status = failed["errors"], failed["status"]
            if isinstance(exc, SchemaError) and "reason" in errors:
                errors["reason"] = [_("Give a reason.")]
        else:
            flash(_("The booking has been cancelled."), "info")
            return redirect(url_for("referrals.detail", referral_id=booking.referral_id,
                                    _anchor="offer" if reoffer else "booking"))
    return render_template("bookings/cancel.html", booking=booking, errors=errors,
                           values=request.form, reoffer=reoffer), status


# --- standing specialists ---------------------------------------------------------------------

def _render_standing(table, *, status: int = 200, values=None, errors: dict | None = None):
    views = [standing.view_of(s) for s in standing.series_of_table(current_user, table)]
    return render_template(
        "bookings/standing.html", table=table, views=views,
        experts=standing.proposable_experts() if current_user.has_role(Role.COORDINATOR) else [],
        values=values if values is not None else MultiDict({"estimated_hours": "2",
                                                             "mode": "in_person"}),
        errors=errors or {}, now=utcnow()), status


def _propose_payload(form) -> dict:
    payload = {name: form.get(name, "").strip() for name in
               ("expert_id", "starts_on", "ends_on", "estimated_hours", "mode")}
    payload = {name: value for name, value in payload.items() if value}
    expires = form.get("expires_at", "").strip()
    if expires:
        payload["expires_at"] = _aware_iso(expires)
    return payload


@bp.route("/casustafels/<int:case_table_id>/vaste-specialist", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR, Role.REQUESTER)
def standing_page(case_table_id: int):
    """A case table's standing specialist: its series with each date's state; the
    coordinator proposes one here. Requesters of the table see the accepted series."""
    table = get_case_table_for(current_user, case_table_id)
    if request.method == "GET":
        return _render_standing(table)
    if not current_user.has_role(Role.COORDINATOR):
        raise Forbidden(_("Only the coordinator proposes a standing specialist."))
    try:
        data = StandingProposeSchema().load(_propose_payload(request.form))
        hours = data.pop("estimated_hours")
        series = standing.propose(actor=current_user, case_table=table,
                                  estimated_minutes=int(round(hours * 60)), **data)
    except INPUT_ERRORS as exc:
        failed = rejected(exc, field="_form")
        return _render_standing(table, values=request.form, **failed)
    flash(_("%(name)s has been asked to be the standing specialist (%(count)s sessions).",
            name=series.expert.user.name, count=len(series.dates)), "info")
    return redirect(url_for("bookings.standing_page", case_table_id=table.id,
                            _anchor=f"series-{series.id}"))


@bp.route("/vaste-specialist/<int:series_id>/annuleren", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def standing_cancel(series_id: int):
    """Confirm, then cancel a series: the dates still to come are cancelled, past ones stay."""
    series = standing.get_series_for(current_user, series_id)
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        try:
            data = load_form(RequiredReasonSchema())
            cancelled = standing.cancel(actor=current_user, series=series,
                                        reason=data["reason"])
        except INPUT_ERRORS as exc:
            failed = rejected(exc, field="_form")
            errors, status = failed["errors"], failed["status"]
            if isinstance(exc, SchemaError) and "reason" in errors:
                errors["reason"] = [_("Give a reason.")]
        else:
            flash(_("The series has been cancelled: %(count)s dates still to come.",
                    count=cancelled), "info")
            return redirect(url_for("bookings.standing_page",
                                    case_table_id=series.case_table_id))
    view = standing.view_of(series)
    now = utcnow()
    upcoming = [d for d in view.dates if d.item.sitting.starts_at > now
                and d.state.state not in ("cancelled", "lapsed")]
    return render_template("bookings/standing_cancel.html", series=series, upcoming=upcoming,
                           errors=errors, values=request.form), status


def _render_standing_offer(series, *, status: int = 200, errors: dict | None = None,
                           declined=()):
    return render_template("bookings/standing_offer.html", series=series,
                           view=standing.view_of(series), errors=errors or {},
                           declined={str(i) for i in declined}, now=utcnow()), status


@bp.get("/vaste-specialist/<int:series_id>")
@roles_required(Role.EXPERT, Role.COORDINATOR)
def standing_offer(series_id: int):
    """A series offer: its sessions, to accept whole or with declined dates."""
    return _render_standing_offer(standing.get_series_for(current_user, series_id))


@bp.post("/vaste-specialist/<int:series_id>/accepteren")
@roles_required(Role.EXPERT)
def standing_accept(series_id: int):
    """Accept the series: every date not ticked as declined is booked."""
    series = standing.get_series_for(current_user, series_id)
    try:
        data = load_form(StandingAcceptSchema())
        standing.accept(actor=current_user, series=series, **data)
    except INPUT_ERRORS as exc:
        failed = rejected(exc, field="_form")
        return _render_standing_offer(series, status=failed["status"], errors=failed["errors"],
                                      declined=request.form.getlist("declined_session_ids"))
    view = standing.view_of(series)
    flash(_("You are the standing specialist: %(booked)s dates booked, %(open)s need a "
            "substitute.", booked=sum(d.state.state == "booked" for d in view.dates),
            open=len(view.needing_substitute)), "info")
    return redirect(url_for("bookings.standing_offer", series_id=series.id))


@bp.post("/vaste-specialist/<int:series_id>/afwijzen")
@roles_required(Role.EXPERT)
def standing_decline(series_id: int):
    """Decline the whole series."""
    series = standing.get_series_for(current_user, series_id)
    try:
        data = load_form(ReasonSchema())
        standing.decline(actor=current_user, series=series, reason=data.get("reason"))
    except INPUT_ERRORS as exc:
        failed = rejected(exc, field="_form")
        return _render_standing_offer(series, status=failed["status"], errors=failed["errors"])
    flash(_("You have declined the series."), "info")
    return redirect(url_for("bookings.my_offers"))


@bp.route("/vaste-specialist/<int:series_id>/data/<int:date_id>/vervanger",
          methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def standing_substitute(series_id: int, date_id: int):
    """One date: the matcher's candidates for it, and handing it to one of them."""
    series = standing.get_series_for(current_user, series_id)
    item = standing.get_date_for(current_user, series, date_id)
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        payload = {name: request.form.get(name, "").strip() for name in
                   ("expert_id", "reason", "budget_override_reason")}
        try:
            data = SubstituteSchema().load({k: v for k, v in payload.items() if v})
            booking = standing.substitute(actor=current_user, series=series, item=item, **data)
        except INPUT_ERRORS as exc:
            failed = rejected(exc, field="_form")
            errors, status = failed["errors"], failed["status"]
        else:
            flash(_("%(name)s has been booked for this date.", name=booking.expert.user.name),
                  "info")
            return redirect(url_for("bookings.standing_page", case_table_id=series.case_table_id,
                                    _anchor=f"date-{item.id}"))
    ranking = None
    if item.referral is not None and item.sitting.starts_at > utcnow():
        ranking = rank_request(referral=item.referral)
    return render_template("bookings/standing_date.html", series=series, item=item,
                           state=standing.date_state(item), ranking=ranking,
                           rule_messages=services.RULE_MESSAGES, errors=errors,
                           values=request.form, locale=str(get_locale())), status
