"""Loading the facts the matcher needs, in a fixed number of SQL statements.

Every query fetches one kind of fact for all experts at once (never one query per expert),
so the statement count does not grow with the number of experts or bookings. Queries
select plain columns rather than ORM objects: a ranking reads thousands of rows.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Float, case, func, literal, select, type_coerce
from sqlalchemy.orm import aliased

from duidingspool.accounts.models import User
from duidingspool.bookings.models import (
    Booking,
    BookingStatus,
    CaseTableTally,
    SeriesStatus,
    StandingSeries,
    WorkloadTally,
)
from duidingspool.casetables.models import Municipality
from duidingspool.experts.models import (
    Absence,
    AvailabilityWindow,
    BusyInterval,
    Expert,
    ExpertConflict,
    ExpertExpertise,
    ExpertLanguage,
    ExpertRate,
)
from duidingspool.db import among
from duidingspool.extensions import db
from duidingspool.matching.engine import (
    ExpertFacts,
    Interval,
    RequestFacts,
    reference_date,
)
from duidingspool.referrals.models import Referral
from duidingspool.timeutil import LOCAL_TZ, to_local

COUNTED_BOOKINGS = (BookingStatus.CONFIRMED, BookingStatus.COMPLETED)
# The longest a booking can last (enforced by bookings.services); bounds overlap searches.
MAX_BOOKING = timedelta(hours=24)


def _run(statement) -> list:
    """All rows, executed on the session's connection without the ORM layer (much less
    work per row than session.execute)."""
    return db.session.connection().execute(statement).all()


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), LOCAL_TZ)


def _month_bounds(on: date) -> tuple[datetime, datetime]:
    first = on.replace(day=1)
    return _local_midnight(first), _local_midnight((first + timedelta(days=32)).replace(day=1))


def request_facts(referral: Referral, *, coordinates: dict[int, tuple[float, float]],
                  at: Interval | None = None) -> RequestFacts:
    """The matcher's view of a request; `at` fixes the time of a date-window request."""
    session = at
    if session is None and referral.sitting is not None:
        session = Interval(referral.sitting.starts_at, referral.sitting.ends_at)
    window = None if session else (referral.window_start, referral.window_end)
    previous_expert_id = None
    if referral.previous_id is not None:
        previous_expert_id = db.session.scalar(
            select(Booking.expert_id)
            .where(Booking.referral_id == referral.previous_id,
                   Booking.status.in_(COUNTED_BOOKINGS))
            .order_by(Booking.id.desc()).limit(1)
        )
    on = (to_local(session.starts_at).date() if session is not None
          else referral.window_start)
    standing_expert_id = db.session.scalar(
        select(StandingSeries.expert_id)
        .where(StandingSeries.case_table_id == referral.case_table_id,
               StandingSeries.status == SeriesStatus.ACCEPTED,
               StandingSeries.starts_on <= on, StandingSeries.ends_on >= on)
        .order_by(StandingSeries.id.desc()).limit(1))
    return RequestFacts(
        referral_id=referral.id,
        municipality_id=referral.municipality_id,
        case_table_id=referral.case_table_id,
        required_levels={e.expertise_area_id: e.min_level for e in referral.expertise},
        language=referral.language,
        in_person=referral.mode == "in_person",
        estimated_minutes=referral.estimated_minutes,
        session=session,
        window=window,
        place=coordinates.get(referral.case_table.host_municipality_id),
        previous_expert_id=previous_expert_id,
        standing_expert_id=standing_expert_id,
    )


def load_facts(referral: Referral, *, at: Interval | None = None
               ) -> tuple[RequestFacts, list[ExpertFacts]]:
    """The request's facts and every expert's profile (status, vetting, conflicts,
    expertise, languages, home): what the first hard rules need.

    Availability comes from `load_availability` and workload, rates and continuity from
    `load_workload`, each only for the experts who passed the rules before.
    """
    place = referral.case_table.host_municipality
    coordinates = {place.id: (float(place.latitude), float(place.longitude))}
    request = request_facts(referral, coordinates=coordinates, at=at)
    home = aliased(Municipality)
    # One row per expert: their home's coordinates, whether they have a conflict of interest
    # with the requesting municipality, their level in each expertise area asked for and
    # whether they speak the language asked for. Values are shaped in SQL (floats rather
    # than Decimals, one vetting date) so that the thousand rows need little conversion.
    vetting_until = case(
        (Expert.vog_expires_on.is_(None) | Expert.confidentiality_expires_on.is_(None), None),
        (Expert.vog_expires_on <= Expert.confidentiality_expires_on, Expert.vog_expires_on),
        else_=Expert.confidentiality_expires_on,
    )
    areas = sorted(request.required_levels)
    levels = [
        select(ExpertExpertise.level)
        .where(ExpertExpertise.expert_id == Expert.id, ExpertExpertise.expertise_area_id == area)
        .scalar_subquery()
        for area in areas
    ]
    speaks = (
        select(ExpertLanguage.expert_id)
        .where(ExpertLanguage.expert_id == Expert.id, ExpertLanguage.language == request.language)
        .exists()
        if request.language else literal(False)
    )
    no_conflict = frozenset()
    conflict_with = frozenset({request.municipality_id})
    no_language = frozenset()
    language = frozenset({request.language})
    experts = []
    for (expert_id, name, active, valid_until, lat, lon, max_km, max_hours, conflict,
         has_language, *area_levels) in _run(
        select(Expert.id, User.name, Expert.is_active & User.is_enabled, vetting_until,
               type_coerce(home.latitude, Float), type_coerce(home.longitude, Float),
               Expert.max_travel_km, Expert.max_hours_per_month, ExpertConflict.expert_id,
               speaks, *levels)
        .join(User, Expert.user_id == User.id)
        .join(home, Expert.home_municipality_id == home.id)
        .outerjoin(ExpertConflict, (ExpertConflict.expert_id == Expert.id)
                   & (ExpertConflict.municipality_id == request.municipality_id))
        .order_by(Expert.id)
    ):
        experts.append(ExpertFacts(
            expert_id=expert_id, name=name, is_active=bool(active),
            vetting_valid_until=valid_until,
            levels=dict(zip(areas, area_levels, strict=False)),  # None: no level in that area
            languages=language if has_language else no_language,
            home=(lat, lon), max_travel_km=max_km, max_minutes_per_month=max_hours * 60,
            hourly_rate=None, conflicts=conflict_with if conflict else no_conflict,
        ))
    return request, experts


def load_availability(request: RequestFacts, experts: list[ExpertFacts], *,
                      travel_buffer_minutes: int, exclude_booking_of: int | None = None) -> None:
    """Fill in weekly windows, absences, other bookings and busy times around the request.

    `exclude_booking_of` leaves out the bookings of that request (when re-checking a booked
    expert after their session moved).
    """
    if not experts:
        return
    facts = {e.expert_id: e for e in experts}
    ids = sorted(facts)
    if request.session is not None:
        span = request.session.widened(travel_buffer_minutes)
        weekdays = {request.session.starts_at.astimezone(LOCAL_TZ).weekday()}
    else:
        span = Interval(_local_midnight(request.window[0]),
                        _local_midnight(request.window[1] + timedelta(days=1)))
        days = (request.window[1] - request.window[0]).days + 1
        weekdays = {(request.window[0] + timedelta(days=d)).weekday() for d in range(min(days, 7))}

    windows: dict[int, dict[int, list[tuple[int, int]]]] = {}
    for expert_id, weekday, lo, hi in _run(
        select(AvailabilityWindow.expert_id, AvailabilityWindow.weekday,
               AvailabilityWindow.start_minute, AvailabilityWindow.end_minute)
        .where(AvailabilityWindow.weekday.in_(sorted(weekdays)),
               among(db.session, AvailabilityWindow.expert_id, ids))
    ):
        windows.setdefault(expert_id, {}).setdefault(weekday, []).append((lo, hi))
    for expert_id, by_weekday in windows.items():
        facts[expert_id].windows = by_weekday

    for model, attribute in ((Absence, "absences"), (BusyInterval, "busy")):
        intervals: dict[int, list[Interval]] = {}
        for expert_id, starts_at, ends_at in _run(
            select(model.expert_id, model.starts_at, model.ends_at)
            .where(model.starts_at < span.ends_at, model.ends_at > span.starts_at,
                   among(db.session, model.expert_id, ids))
        ):
            intervals.setdefault(expert_id, []).append(Interval(starts_at, ends_at))
        for expert_id, found in intervals.items():
            setattr(facts[expert_id], attribute, found)

    # A booking is never longer than MAX_BOOKING, which bounds the index range to scan.
    booking_filter = [Booking.status == BookingStatus.CONFIRMED,
                      Booking.starts_at < span.ends_at,
                      Booking.starts_at > span.starts_at - MAX_BOOKING,
                      Booking.ends_at > span.starts_at,
                      among(db.session, Booking.expert_id, ids)]
    if exclude_booking_of is not None:
        booking_filter.append(Booking.referral_id != exclude_booking_of)
    bookings: dict[int, list[Interval]] = {}
    for expert_id, starts_at, ends_at in _run(
        select(Booking.expert_id, Booking.starts_at, Booking.ends_at).where(*booking_filter)
    ):
        bookings.setdefault(expert_id, []).append(Interval(starts_at, ends_at))
    for expert_id, found in bookings.items():
        facts[expert_id].bookings = found


def load_workload(request: RequestFacts, experts: list[ExpertFacts]) -> None:
    """Fill in booked minutes (month, year), rates and this year's bookings at the case table.

    Only for `experts` (those who passed the other rules). The sums come from the tallies
    the database keeps per expert and local month, and per expert and case table
    (migration 0013), not from a year of bookings.
    """
    if not experts:
        return
    on = reference_date(request)
    by_id = {e.expert_id: e for e in experts}
    ids = sorted(by_id)
    month_start, month_end = _month_bounds(on)
    year_start = _local_midnight(date(on.year, 1, 1))
    year_end = _local_midnight(date(on.year + 1, 1, 1))
    at_case_table = (
        select(CaseTableTally.bookings)
        .where(CaseTableTally.expert_id == WorkloadTally.expert_id,
               CaseTableTally.year == on.year,
               CaseTableTally.case_table_id == request.case_table_id)
        .scalar_subquery())
    for expert_id, year_minutes, month_minutes, here in _run(
        select(WorkloadTally.expert_id, func.sum(WorkloadTally.minutes),
               func.sum(case((WorkloadTally.month == on.month, WorkloadTally.minutes),
                             else_=0)),
               at_case_table)
        .where(WorkloadTally.year == on.year,
               among(db.session, WorkloadTally.expert_id, ids))
        .group_by(WorkloadTally.expert_id)
    ):
        facts = by_id[expert_id]
        facts.booked_minutes_year = int(year_minutes or 0)
        facts.booked_minutes_month = int(month_minutes or 0)
        facts.bookings_with_case_table = int(here or 0)
    # The request's own booking (when re-checking a booked expert) is not extra workload.
    for expert_id, minutes, starts_at in _run(
        select(Booking.expert_id, Booking.estimated_minutes, Booking.starts_at)
        .where(Booking.referral_id == request.referral_id,
               Booking.status.in_(COUNTED_BOOKINGS))
    ):
        if expert_id in by_id:
            facts = by_id[expert_id]
            if month_start <= starts_at < month_end:
                facts.booked_minutes_month -= minutes
            if year_start <= starts_at < year_end:
                facts.booked_minutes_year -= minutes
    # The rate valid on the date: the latest one starting on or before it.
    for expert_id, rate in _run(
        select(ExpertRate.expert_id, ExpertRate.hourly_rate)
        .where(ExpertRate.valid_from <= on, among(db.session, ExpertRate.expert_id, ids))
        .order_by(ExpertRate.expert_id, ExpertRate.valid_from)
    ):
        by_id[expert_id].hourly_rate = rate
