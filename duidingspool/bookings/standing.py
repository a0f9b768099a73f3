"""A standing specialist per case table: one expert for every session of a table in a period.

The coordinator proposes a series; the expert answers it with one offer, accepting every
date or declining named ones. On acceptance each date becomes an ordinary request with an
ordinary booking (an accepted offer and `_confirm`, as a direct booking), so hours, feeds,
iTIP, the budget's commitment, moving and cancelling work per date exactly as for any other
booking. A date the expert declined, or that a rule keeps them from (absence, another
booking, travel buffer: matching's rules), is not booked: its request waits in the inbox as
"needs a substitute", where the candidates page proposes one. Sessions the table's rule or
calendar adds later join the series through the job `extend_standing_series`.

Races: accepting a series takes the expert's advisory lock (PostgreSQL) or the write lock
(SQLite: the compare-and-swap on the series writes first) before checking each date, as an
accept of a single offer does; a date whose session the expert is already booked for (an
ordinary request of the same table, accepted a moment earlier) is linked to that booking, so
the expert has one booking per date.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from duidingspool import signals
from duidingspool.accounts.models import Role, User
from duidingspool.audit.services import record
from duidingspool.bookings.candidates import exclusion_of
from duidingspool.bookings.models import (
    Booking,
    BookingStatus,
    DateStatus,
    Offer,
    OfferStatus,
    SeriesStatus,
    StandingDate,
    StandingSeries,
)
from duidingspool.bookings.queries import latest_booking_of
from duidingspool.bookings.services import (
    RULE_MESSAGES,
    _advisory_lock,
    _cas,
    _confirm,
    _lock_expert,
    _refresh,
    book_directly,
    cancel_booking,
    make_offers,
    offer_urgent,
    release_referral,
)
from duidingspool.casetables.models import CaseTable, Sitting, SittingStatus
from duidingspool.db import utcnow
from duidingspool.errors import BudgetExceeded, Conflict, NotFound, ValidationFailed
from duidingspool.experts.models import Expert
from duidingspool.extensions import db
from duidingspool.matching.engine import Interval
from duidingspool.referrals.models import (
    OPEN_STATUSES,
    URGENCY_RANK,
    Referral,
    ReferralStatus,
    Urgency,
)
from duidingspool.referrals.services import check_privacy
from duidingspool.timeutil import local_day_bounds, to_local

# Advisory-lock namespace for "proposing a series for a case table" (PostgreSQL only).
_TABLE_LOCK = 7303
ACTIVE = (SeriesStatus.OFFERED, SeriesStatus.ACCEPTED)
MAX_PERIOD = timedelta(days=366)
MIN_MINUTES, MAX_MINUTES = 15, 40 * 60

# What the pages and the API call the state of one date (see `date_state`).
STATE_LABELS = {
    "offered": _l("offered"),
    "booked": _l("booked"),
    "held": _l("held"),
    "substitute": _l("substitute booked"),
    "needs_substitute": _l("needs a substitute"),
    "declined": _l("declined: needs a substitute"),
    "cancelled": _l("cancelled"),
    "lapsed": _l("not booked (already started)"),
    "unfilled": _l("not filled"),
}


@dataclass(frozen=True)
class DateState:
    """What became of one date: `state` (a key of STATE_LABELS), who is booked, why not."""

    state: str
    expert_name: str | None = None
    booking: Booking | None = None
    rule: str | None = None

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self.state])

    @property
    def reason(self) -> str | None:
        return str(RULE_MESSAGES[self.rule]) if self.rule in RULE_MESSAGES else None

    @property
    def needs_substitute(self) -> bool:
        return self.state in ("needs_substitute", "declined")


# --- reading -----------------------------------------------------------------------------------

def get_series_for(actor: User, series_id: int) -> StandingSeries:
    """A series the actor may see: the coordinator every one, an expert their own offered
    or accepted ones; NotFound otherwise."""
    series = db.session.get(StandingSeries, series_id)
    if series is not None:
        if actor.has_role(Role.COORDINATOR):
            return series
        own = actor.expert if actor.has_role(Role.EXPERT) else None
        if own is not None and series.expert_id == own.id:
            return series
    raise NotFound(_("Standing series not found."))


def series_of_table(actor: User, case_table: CaseTable) -> list[StandingSeries]:
    """The series of a case table the actor may see, the latest period first: every one
    for the coordinator, the accepted ones for the table's requesters (the caller has
    checked that the actor may see the table)."""
    query = (select(StandingSeries).where(StandingSeries.case_table_id == case_table.id)
             .order_by(StandingSeries.starts_on.desc(), StandingSeries.id.desc()))
    if not actor.has_role(Role.COORDINATOR):
        query = query.where(StandingSeries.status == SeriesStatus.ACCEPTED)
    return list(db.session.scalars(query))


def current_standing(case_table_id: int, *, on: date) -> StandingSeries | None:
    """The accepted series of the table whose period holds `on`, if any."""
    return db.session.scalar(
        select(StandingSeries).where(StandingSeries.case_table_id == case_table_id,
                                     StandingSeries.status == SeriesStatus.ACCEPTED,
                                     StandingSeries.starts_on <= on,
                                     StandingSeries.ends_on >= on)
        .order_by(StandingSeries.id.desc()).limit(1))


def standing_for_requesters(case_table_id: int, *, now: datetime | None = None
                            ) -> StandingSeries | None:
    """The standing specialist a table's requesters are shown: the accepted series running
    today, else the next one to start."""
    today = to_local(now or utcnow()).date()
    return db.session.scalar(
        select(StandingSeries).where(StandingSeries.case_table_id == case_table_id,
                                     StandingSeries.status == SeriesStatus.ACCEPTED,
                                     StandingSeries.ends_on >= today)
        .order_by(StandingSeries.starts_on, StandingSeries.id).limit(1))


def standing_of_request(referral: Referral) -> StandingSeries | None:
    """The accepted series of the request's table on its session date (or the first day of
    its window)."""
    on = (to_local(referral.sitting.starts_at).date() if referral.sitting is not None
          else referral.window_start)
    return current_standing(referral.case_table_id, on=on)


def proposable_experts() -> list[tuple[int, str]]:
    """(id, name) of the active experts with an enabled account, by name."""
    return [(expert_id, name) for expert_id, name in db.session.execute(
        select(Expert.id, User.name).join(User, User.id == Expert.user_id)
        .where(Expert.is_active.is_(True), User.is_enabled.is_(True)).order_by(User.name))]


def open_series_offers(expert: Expert, *, now: datetime | None = None) -> list[StandingSeries]:
    """The expert's series offers waiting for an answer, soonest deadline first."""
    now = now or utcnow()
    return list(db.session.scalars(
        select(StandingSeries).where(StandingSeries.expert_id == expert.id,
                                     StandingSeries.status == SeriesStatus.OFFERED,
                                     StandingSeries.expires_at > now)
        .order_by(StandingSeries.expires_at, StandingSeries.id)))


def date_state(item: StandingDate) -> DateState:
    """The state of one date, from the date and (once accepted) its request and booking."""
    if item.status == DateStatus.OFFERED:
        return DateState("offered")
    if item.status in (DateStatus.CANCELLED, DateStatus.LAPSED):
        return DateState(str(item.status))
    referral = item.referral
    booking = latest_booking_of(referral) if referral is not None else None
    if booking is not None and booking.status in (BookingStatus.CONFIRMED,
                                                  BookingStatus.COMPLETED):
        name = booking.expert.user.name
        if booking.expert_id != item.series.expert_id:
            return DateState("substitute", name, booking)
        held = booking.status == BookingStatus.COMPLETED
        return DateState("held" if held else "booked", name, booking)
    if referral is None or referral.status == ReferralStatus.CANCELLED:
        return DateState("cancelled", booking=booking)
    if referral.status == ReferralStatus.UNFILLED:
        return DateState("unfilled")
    if item.status == DateStatus.DECLINED:
        return DateState("declined")
    return DateState("needs_substitute", booking=booking, rule=item.conflict)


@dataclass(frozen=True)
class DateView:
    """One date of a series with its state, as pages and the API show it."""

    item: StandingDate
    state: DateState

    @property
    def id(self) -> int:
        return self.item.id


@dataclass(frozen=True)
class SeriesView:
    series: StandingSeries
    dates: list[DateView]

    @property
    def needing_substitute(self) -> list[DateView]:
        return [d for d in self.dates if d.state.needs_substitute]


def series_dates(series: StandingSeries) -> list[DateView]:
    """The series' dates in order, each with its state."""
    return [DateView(item, date_state(item)) for item in series.dates]


def view_of(series: StandingSeries) -> SeriesView:
    return SeriesView(series, series_dates(series))


# --- proposing -----------------------------------------------------------------------------

def _sittings_in(series: StandingSeries, *, now: datetime) -> list[Sitting]:
    """The table's sessions in the series' period (local dates) that have not started and
    are not cancelled."""
    return list(db.session.scalars(
        select(Sitting).where(
            Sitting.case_table_id == series.case_table_id,
            Sitting.status != SittingStatus.CANCELLED,
            Sitting.starts_at >= local_day_bounds(series.starts_on)[0],
            Sitting.starts_at < local_day_bounds(series.ends_on)[1],
            Sitting.starts_at > now)
        .order_by(Sitting.starts_at, Sitting.id)))


def _add_new_dates(series: StandingSeries, *, now: datetime) -> list[StandingDate]:
    """Dates for the period's sessions the series does not hold yet."""
    known = {item.sitting_id for item in series.dates}
    added = []
    for sitting in _sittings_in(series, now=now):
        if sitting.id in known:
            continue
        item = StandingDate(sitting_id=sitting.id, starts_at=sitting.starts_at,
                            status=DateStatus.OFFERED, created_at=now)
        series.dates.append(item)
        added.append(item)
    db.session.flush()
    return added


def propose(*, actor: User, case_table: CaseTable, expert_id: int, starts_on: date,
            ends_on: date, estimated_minutes: int, mode: str = "in_person",
            expires_at: datetime | None = None, now: datetime | None = None) -> StandingSeries:
    """The coordinator proposes `expert_id` as the table's standing specialist for a period:
    one offer for every session in it, sent to the expert at once."""
    now = now or utcnow()
    errors: dict[str, list[str]] = {}
    expert = db.session.get(Expert, expert_id)
    if expert is None or not expert.is_active:
        errors["expert_id"] = [_("Choose an active expert.")]
    today = to_local(now).date()
    if ends_on < starts_on:
        errors["ends_on"] = [_("The last date lies before the first date.")]
    elif ends_on < today:
        errors["ends_on"] = [_("The period has already ended.")]
    elif ends_on - starts_on > MAX_PERIOD:
        errors["ends_on"] = [_("A period can last at most a year.")]
    if not MIN_MINUTES <= estimated_minutes <= MAX_MINUTES:
        errors["estimated_hours"] = [_("Estimate between 0.25 and 40 hours.")]
    if mode not in ("in_person", "online"):
        errors["mode"] = [_("Choose in person or online.")]
    if expires_at is not None and expires_at <= now:
        errors["expires_at"] = [_("Must lie in the future.")]
    if not case_table.is_active:
        errors["case_table_id"] = [_("This case table no longer takes requests.")]
    if errors:
        raise ValidationFailed(_("The standing specialist was not proposed; see the marked "
                                 "fields."), fields=errors)
    # One standing specialist at a time: serialise proposals for the table, then check.
    _advisory_lock(_TABLE_LOCK, case_table.id)
    overlapping = db.session.scalar(
        select(StandingSeries.id).where(StandingSeries.case_table_id == case_table.id,
                                        StandingSeries.status.in_(ACTIVE),
                                        StandingSeries.starts_on <= ends_on,
                                        StandingSeries.ends_on >= starts_on).limit(1))
    if overlapping is not None:
        raise Conflict(_("This case table already has a standing specialist (offered or "
                         "accepted) in that period; cancel that series first."))
    series = StandingSeries(
        case_table_id=case_table.id, expert_id=expert_id, starts_on=starts_on,
        ends_on=ends_on, estimated_minutes=estimated_minutes, mode=mode,
        status=SeriesStatus.OFFERED, offered_at=now,
        expires_at=expires_at or now + timedelta(
            hours=int(current_app.config["OFFER_EXPIRY_HOURS"])),
        created_by_id=actor.id, created_at=now)
    db.session.add(series)
    db.session.flush()
    dates = _add_new_dates(series, now=now)
    if not dates:
        raise ValidationFailed(_("The case table has no upcoming session in that period."),
                               fields={"starts_on": [_("No upcoming session in the period.")]})
    record(actor=actor, action="standing.propose", obj=series,
           details={"case_table_id": case_table.id, "expert_id": expert_id,
                    "dates": len(dates)})
    signals.standing_offer_sent.send(series, now=now)
    return series


# --- answering -----------------------------------------------------------------------------

def _date_referral(series: StandingSeries, sitting: Sitting, *, now: datetime) -> Referral:
    """The ordinary request a date of the series becomes (no question, no case code: the
    case table asks for the specialist, not for a case)."""
    table = series.case_table
    referral = Referral(
        reference=f"NEW-{secrets.token_hex(8)}", case_table_id=table.id,
        municipality_id=table.host_municipality_id, created_by_id=series.created_by_id,
        sitting_id=sitting.id, mode=series.mode, estimated_minutes=series.estimated_minutes,
        urgency=Urgency.NORMAL, urgency_rank=URGENCY_RANK[Urgency.NORMAL],
        status=ReferralStatus.SUBMITTED, created_at=now, updated_at=now)
    db.session.add(referral)
    db.session.flush()
    referral.reference = f"DV-{to_local(now).year}-{referral.id:05d}"
    db.session.flush()
    record(actor=None, action="referral.create", obj=referral,
           details={"reference": referral.reference, "case_table_id": table.id,
                    "sitting_id": sitting.id, "standing_series_id": series.id})
    return referral


def _settle_date(series: StandingSeries, item: StandingDate, *, declined: bool,
                 actor: User | None, now: datetime) -> None:
    """Book one date for the series' expert, or leave it as needing a substitute."""
    sitting = item.sitting
    db.session.refresh(sitting)
    if sitting.status == SittingStatus.CANCELLED:
        item.status = DateStatus.CANCELLED
        return
    if sitting.starts_at <= now:
        item.status = DateStatus.LAPSED
        return
    # Already booked for this session (an ordinary request of the table, say): that
    # booking is the date's, and the expert is not booked twice.
    existing = db.session.scalar(
        select(Booking).where(Booking.expert_id == series.expert_id,
                              Booking.sitting_id == sitting.id,
                              Booking.status == BookingStatus.CONFIRMED).limit(1))
    if existing is not None and not declined:
        item.referral_id = existing.referral_id
        item.status = DateStatus.BOOKED
        db.session.flush()
        return
    referral = _date_referral(series, sitting, now=now)
    item.referral_id = referral.id
    if declined:
        item.status = DateStatus.DECLINED
        db.session.flush()
        return
    exclusion = exclusion_of(referral=referral, expert_id=series.expert_id)
    if exclusion is not None:
        item.status, item.conflict = DateStatus.CONFLICT, exclusion.rule
        db.session.flush()
        record(actor=None, action="standing.date_conflict", obj=item,
               details={"series_id": series.id, "rule": exclusion.rule})
        return
    offer = Offer(referral_id=referral.id, expert_id=series.expert_id,
                  status=OfferStatus.ACCEPTED, queue_position=1, offered_at=series.offered_at,
                  expires_at=max(series.expires_at, now), responded_at=now,
                  created_by_id=series.created_by_id)
    db.session.add(offer)
    db.session.flush()
    booking, _withdrawn = _confirm(referral=referral, offer=offer,
                                   when=Interval(sitting.starts_at, sitting.ends_at), now=now)
    referral.status = ReferralStatus.BOOKED
    item.status = DateStatus.BOOKED
    db.session.flush()
    record(actor=actor, action="standing.date_booked", obj=booking,
           details={"series_id": series.id, "date_id": item.id})
    signals.booking_changed.send(booking, now=now, actor=actor)


def accept(*, actor: User, series: StandingSeries, declined_session_ids=(),
           now: datetime | None = None) -> StandingSeries:
    """The expert accepts the series, whole or without the named sessions: every other date
    is booked unless a rule keeps them from it (then it needs a substitute)."""
    now = now or utcnow()
    own = actor.expert
    if own is None or series.expert_id != own.id:
        raise NotFound(_("Standing series not found."))
    declined = set(declined_session_ids or ())
    unknown = declined - {item.sitting_id for item in series.dates}
    if unknown:
        raise ValidationFailed(_("Decline only sessions of this series."),
                               fields={"declined_session_ids": [
                                   _("Not a session of this series: %(ids)s.",
                                     ids=", ".join(map(str, sorted(unknown))))]})
    _lock_expert(series.expert_id)
    # Write first: on SQLite this takes the write lock, serialising the checks below.
    if not _cas(StandingSeries, series.id, expected=(SeriesStatus.OFFERED,),
                values={"status": SeriesStatus.ACCEPTED, "responded_at": now},
                extra=(StandingSeries.expires_at > now,)):
        _refresh(series)
        if series.status == SeriesStatus.OFFERED:
            raise Conflict(_("This offer has expired."))
        raise Conflict(_("This offer is no longer open: it was already answered or withdrawn."))
    _refresh(series)
    _add_new_dates(series, now=now)
    for item in series.dates:
        if item.status == DateStatus.OFFERED:
            _settle_date(series, item, declined=item.sitting_id in declined, actor=actor,
                         now=now)
    db.session.flush()
    record(actor=actor, action="standing.accept", obj=series,
           details={"declined_session_ids": sorted(declined)})
    return series


def decline(*, actor: User, series: StandingSeries, reason: str | None = None,
            now: datetime | None = None) -> StandingSeries:
    """The expert declines the whole series: nothing is booked."""
    now = now or utcnow()
    own = actor.expert
    if own is None or series.expert_id != own.id:
        raise NotFound(_("Standing series not found."))
    if not _cas(StandingSeries, series.id, expected=(SeriesStatus.OFFERED,),
                values={"status": SeriesStatus.DECLINED, "responded_at": now,
                        "decline_reason": (reason or "").strip()[:500] or None}):
        raise Conflict(_("This offer is no longer open: it was already answered or withdrawn."))
    _refresh(series)
    _close_open_dates(series)
    record(actor=actor, action="standing.decline", obj=series)
    return series


def _close_open_dates(series: StandingSeries) -> None:
    db.session.execute(
        update(StandingDate).where(StandingDate.series_id == series.id,
                                   StandingDate.status == DateStatus.OFFERED)
        .values(status=DateStatus.CANCELLED).execution_options(synchronize_session="fetch"))


# --- the coordinator's changes ------------------------------------------------------------

def cancel(*, actor: User, series: StandingSeries, reason: str,
           now: datetime | None = None) -> int:
    """Cancel a series (withdraw it while offered): the dates still to come are cancelled
    with their requests and bookings, past ones stay. Returns how many dates were cancelled."""
    now = now or utcnow()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give a reason for the cancellation."),
                               fields={"reason": [_("Give a reason.")]})
    # The reason reaches each date's request (and the requester's page): no personal data.
    check_privacy(today=to_local(now).date(), reason=reason)
    if not _cas(StandingSeries, series.id, expected=ACTIVE,
                values={"status": SeriesStatus.CANCELLED, "cancelled_at": now,
                        "cancel_reason": reason[:500]}):
        raise Conflict(_("Only an offered or accepted series can be cancelled."))
    _refresh(series)
    cancelled = 0
    for item in series.dates:
        if item.status == DateStatus.OFFERED:
            item.status = DateStatus.CANCELLED
            cancelled += 1
            continue
        referral = item.referral
        if referral is None or item.sitting.starts_at <= now:
            continue
        # Only the series' own requests (they have no question); an ordinary request the
        # date was linked to is its requester's and stays.
        if referral.question is not None:
            continue
        if _cas(Referral, referral.id, expected=OPEN_STATUSES + (ReferralStatus.BOOKED,),
                values={"status": ReferralStatus.CANCELLED, "cancelled_at": now,
                        "cancel_reason": reason[:500], "updated_at": now}):
            _refresh(referral)
            release_referral(actor=actor, referral=referral, reason=reason, now=now)
            cancelled += 1
    db.session.flush()
    record(actor=actor, action="standing.cancel", obj=series, details={"dates": cancelled})
    return cancelled


def get_date_for(actor: User, series: StandingSeries, date_id: int) -> StandingDate:
    item = db.session.get(StandingDate, date_id)
    if item is None or item.series_id != series.id:
        raise NotFound(_("Date not found."))
    return item


def substitute(*, actor: User, series: StandingSeries, item: StandingDate, expert_id: int,
               reason: str | None = None, budget_override_reason: str | None = None,
               now: datetime | None = None) -> Booking:
    """Hand one date to a substitute: its booking (if any) is cancelled and the substitute
    booked directly, with the rules and budget check of a direct booking; the other dates
    stay as they are."""
    now = now or utcnow()
    if series.status != SeriesStatus.ACCEPTED:
        raise Conflict(_("Only a date of an accepted series can be handed to a substitute."))
    if item.referral is None:
        raise Conflict(_("This date has no request to book: it was not part of the "
                         "accepted series."))
    referral = item.referral
    if item.sitting.starts_at <= now:
        raise Conflict(_("The session has already started."))
    if expert_id == series.expert_id:
        raise ValidationFailed(_("Choose someone other than the standing specialist."),
                               fields={"expert_id": [_("Choose another expert.")]})
    booking = db.session.scalar(
        select(Booking).where(Booking.referral_id == referral.id,
                              Booking.status == BookingStatus.CONFIRMED))
    if booking is not None:
        cancel_booking(actor=actor, booking=booking,
                       reason=(reason or "").strip() or _("Handed to a substitute."), now=now)
    booked = book_directly(actor=actor, referral=referral, expert_id=expert_id,
                           budget_override_reason=budget_override_reason, now=now)
    record(actor=actor, action="standing.substitute", obj=item,
           details={"series_id": series.id, "expert_id": expert_id, "booking_id": booked.id})
    return booked


# --- jobs ----------------------------------------------------------------------------------

def due_series_ids(*, now: datetime) -> list[int]:
    """Offered series past their deadline, and accepted ones whose period has not ended
    (sessions may have been added to it)."""
    today = to_local(now).date()
    return list(db.session.scalars(
        select(StandingSeries.id).where(
            ((StandingSeries.status == SeriesStatus.OFFERED)
             & (StandingSeries.expires_at <= now))
            | ((StandingSeries.status == SeriesStatus.ACCEPTED)
               & (StandingSeries.ends_on >= today)))
        .order_by(StandingSeries.id)))


def extend_series(*, series_id: int, now: datetime) -> bool:
    """Expire an unanswered series offer past its deadline, or add the sessions added to an
    accepted series' period since (booked, or needing a substitute). False if nothing
    changed. Idempotent: the compare-and-swap and the unique (series, session) decide."""
    series = db.session.get(StandingSeries, series_id)
    if series is None:
        return False
    if series.status == SeriesStatus.OFFERED:
        if not _cas(StandingSeries, series.id, expected=(SeriesStatus.OFFERED,),
                    values={"status": SeriesStatus.EXPIRED, "responded_at": now},
                    extra=(StandingSeries.expires_at <= now,)):
            return False
        _refresh(series)
        _close_open_dates(series)
        record(actor=None, action="standing.expire", obj=series)
        return True
    if series.status != SeriesStatus.ACCEPTED:
        return False
    _lock_expert(series.expert_id)
    added = _add_new_dates(series, now=now)
    for item in added:
        _settle_date(series, item, declined=False, actor=None, now=now)
    if added:
        record(actor=None, action="standing.extend", obj=series,
               details={"dates": len(added)})
    return bool(added)


# --- reactions to lower packages (duidingspool.signals) ------------------------------------

@signals.referral_submitted.connect
def _route_new_request(referral: Referral, *, now: datetime | None = None, **_kwargs) -> None:
    """Who is asked first about a new request: the table's standing specialist when there
    is one for the session; otherwise, for an urgent request, the expert on duty (see
    `services.offer_urgent`). An urgent request that went to the standing specialist keeps
    the urgent deadline and escalation."""
    now = now or utcnow()
    if not _offer_to_standing_specialist(referral, now=now):
        offer_urgent(referral, now=now)


def _offer_to_standing_specialist(referral: Referral, *, now: datetime) -> bool:
    """A requester's request for a session of a table with a standing specialist goes to
    that specialist first: an offer to them (unless a rule or the budget keeps them from it;
    then it waits in the inbox as any request). True if offered."""
    if referral.sitting is None:
        return False
    series = current_standing(referral.case_table_id,
                              on=to_local(referral.sitting.starts_at).date())
    if series is None:
        return False
    try:
        make_offers(actor=series.created_by, referral=referral, expert_ids=[series.expert_id],
                    now=now)
    except (ValidationFailed, BudgetExceeded, Conflict) as refused:
        # Refused before anything was written (the rules and the budget are checked
        # first): the request stays in the inbox for the coordinator.
        record(actor=None, action="standing.first_offer_skipped", obj=referral,
               details={"series_id": series.id, "code": refused.code})
        return False
    record(actor=None, action="standing.first_offer", obj=referral,
           details={"series_id": series.id, "expert_id": series.expert_id})
    return True
