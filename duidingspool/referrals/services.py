"""Business rules for requests: the privacy check, creating and cancelling requests."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, or_, select, update

from duidingspool.accounts.models import Role, User
from duidingspool.audit.services import record
from duidingspool.casetables.models import CaseTable, Sitting, SittingStatus
from duidingspool.db import utcnow
from duidingspool.errors import Conflict, Forbidden, NotFound, PrivacyViolation, ValidationFailed
from duidingspool.experts.models import ExpertiseArea
from duidingspool import signals
from duidingspool.extensions import db
from duidingspool.privacy import check_privacy, privacy_errors
from duidingspool.referrals.models import (
    URGENCY_RANK,
    Mode,
    Referral,
    ReferralExpertise,
    ReferralStatus,
    Urgency,
)
from duidingspool.referrals.queries import (
    get_requestable_case_table,
    requestable_case_tables,
    visible_referrals,
)
from duidingspool.timeutil import to_local

# A date window may reach at most this far ahead.
MAX_WINDOW_AHEAD = timedelta(days=366)
MIN_MINUTES, MAX_MINUTES = 15, 40 * 60
MAX_QUESTION_LENGTH = 2000
MAX_CASE_CODE_LENGTH = 50
MAX_REASON_LENGTH = 500
# Longer texts are refused by their length, never scanned for personal data.
TEXT_LIMITS = {"question": MAX_QUESTION_LENGTH, "case_code": MAX_CASE_CODE_LENGTH}
CANCELLABLE = (ReferralStatus.SUBMITTED, ReferralStatus.OFFERED, ReferralStatus.BOOKED)


# A schema error on one of these makes the date checks of the others meaningless.
_WHEN_FIELDS = ("case_table_id", "session_id", "window_start", "window_end")


def input_error(*, fields: dict[str, list[str]], question, case_code, actor: User | None = None,
                valid: dict | None = None, now: datetime | None = None) -> ValidationFailed:
    """The error for input that failed its schema, naming personal data found as well and,
    given the `actor` and the fields that did pass the schema (`valid`), every rule those
    break, so the user hears about all of it at once and not only after fixing the other
    fields."""
    texts = {name: value for name, value in (("question", question), ("case_code", case_code))
             if isinstance(value, str)}
    found = privacy_errors(limits=TEXT_LIMITS, **texts)
    merged = {name: list(messages) for name, messages in fields.items()}
    for name, messages in found.items():
        merged.setdefault(name, []).extend(m for m in messages if m not in merged[name])
    if actor is not None and valid is not None:
        skip = set(fields)
        if skip & set(_WHEN_FIELDS):
            skip |= set(_WHEN_FIELDS)
        rules, _found, _parts = _check_input(actor=actor, data=valid, now=now or utcnow())
        for name, messages in rules.items():
            if name not in skip:
                merged.setdefault(name, []).extend(m for m in messages if m not in merged[name])
    kind = PrivacyViolation if found else ValidationFailed
    return kind(_("Some fields are not filled in correctly."), fields=merged)


def _local_today(now: datetime) -> date:
    return to_local(now).date()


def _add(errors: dict[str, list[str]], field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _resolve_case_table_and_session(*, actor: User, data: dict, now: datetime,
                                    errors: dict) -> tuple[CaseTable | None, Sitting | None]:
    """The case table (NotFound when not visible) and the chosen session, if any."""
    case_table_id, session_id = data.get("case_table_id"), data.get("session_id")
    table = get_requestable_case_table(actor, case_table_id) if case_table_id is not None else None
    sitting = None
    if session_id is not None:
        visible = requestable_case_tables(actor).with_only_columns(CaseTable.id).order_by(None)
        sitting = db.session.scalar(
            select(Sitting).where(Sitting.id == session_id, Sitting.case_table_id.in_(visible))
        )
        if sitting is None or (table is not None and sitting.case_table_id != table.id):
            _add(errors, "session_id", _("Choose a session of the chosen case table."))
            sitting = None
        elif sitting.status == SittingStatus.CANCELLED:
            _add(errors, "session_id",
                 _("This session has been cancelled; choose another session or a date window."))
        elif sitting.starts_at <= now:
            _add(errors, "session_id",
                 _("This session has already started or is past; choose an upcoming one."))
        elif table is None:
            table = sitting.case_table
    if table is None and "session_id" not in errors:
        _add(errors, "case_table_id", _("Choose a case table."))
    if table is not None and not table.is_active:
        _add(errors, "case_table_id", _("This case table no longer takes requests."))
    return table, sitting


def _check_window(*, data: dict, has_session: bool, now: datetime, errors: dict) -> None:
    start, end = data.get("window_start"), data.get("window_end")
    if has_session or "session_id" in errors:
        if start is not None or end is not None:
            _add(errors, "window_start",
                 _("Choose either a session or a date window, not both."))
        return
    if start is None:
        _add(errors, "window_start",
             _("Choose a session, or give the earliest and latest date."))
    if end is None:
        _add(errors, "window_end", _("Give the latest date of the window."))
    if start is None or end is None:
        return
    today = _local_today(now)
    if start < today:
        _add(errors, "window_start", _("The earliest date lies in the past."))
    if end < start:
        _add(errors, "window_end", _("The latest date lies before the earliest date."))
    if end > today + MAX_WINDOW_AHEAD:
        _add(errors, "window_end", _("The latest date may lie at most a year ahead."))


def _check_areas(*, data: dict, errors: dict) -> list[tuple[ExpertiseArea, int]]:
    wanted = data.get("areas") or []
    if not wanted:
        _add(errors, "areas", _("Choose at least one expertise area."))
        return []
    ids = [item["area_id"] for item in wanted]
    if len(set(ids)) != len(ids):
        _add(errors, "areas", _("Each expertise area may be chosen only once."))
        return []
    areas = {a.id: a for a in db.session.scalars(
        select(ExpertiseArea).where(ExpertiseArea.id.in_(ids),
                                    ExpertiseArea.is_active.is_(True))
    )}
    if len(areas) != len(ids):
        _add(errors, "areas", _("Choose expertise areas from the list."))
        return []
    result = []
    for item in wanted:
        level = item.get("min_level", 1)
        if level not in (1, 2, 3):
            _add(errors, "areas", _("The minimum level is 1, 2 or 3."))
            return []
        result.append((areas[item["area_id"]], level))
    return result


def _check_previous(*, actor: User, data: dict, table: CaseTable | None,
                    errors: dict) -> Referral | None:
    previous_id = data.get("previous_id")
    if previous_id is None:
        return None
    previous = db.session.scalar(
        visible_referrals(actor).where(Referral.id == previous_id,
                                       Referral.municipality_id == actor.municipality_id)
    )
    if previous is None or (table is not None and previous.case_table_id != table.id):
        _add(errors, "previous_id",
             _("Choose an earlier request of your municipality for the same case table."))
        return None
    return previous


def urgent_answer_hours(*, starts_at: datetime, now: datetime) -> int | None:
    """The hours an expert has to answer an offer of a request filed at `now` for a
    session at `starts_at`: by the lead time, from URGENT_ANSWER_HOURS (config); None when
    the lead time is URGENT_LEAD_HOURS or more (not urgent)."""
    config = current_app.config
    lead = starts_at - now
    if lead >= timedelta(hours=float(config["URGENT_LEAD_HOURS"])):
        return None
    for below, hours in sorted(config["URGENT_ANSWER_HOURS"]):
        if lead < timedelta(hours=float(below)):
            return int(hours)
    return int(sorted(config["URGENT_ANSWER_HOURS"])[-1][1])


def _minutes(hours) -> int | None:
    if hours is None:
        return None
    return int((Decimal(str(hours)) * 60).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _check_input(*, actor: User, data: dict, now: datetime) -> tuple[dict, bool, tuple]:
    """Every rule of a new request: the messages per field, whether personal data was found,
    and the resolved parts (table, session, areas, previous, question, minutes, mode,
    urgency). Writes nothing."""
    errors = privacy_errors(today=_local_today(now), limits=TEXT_LIMITS,
                            question=data.get("question"), case_code=data.get("case_code"))
    found_personal_data = bool(errors)
    table, sitting = _resolve_case_table_and_session(actor=actor, data=data, now=now,
                                                     errors=errors)
    _check_window(data=data, has_session=sitting is not None, now=now, errors=errors)
    areas = _check_areas(data=data, errors=errors)
    previous = _check_previous(actor=actor, data=data, table=table, errors=errors)

    question = (data.get("question") or "").strip()
    if not question:
        _add(errors, "question", _("Describe what must be interpreted."))
    elif len(question) > MAX_QUESTION_LENGTH:
        _add(errors, "question", _("At most %(n)d characters.", n=MAX_QUESTION_LENGTH))
    if len(data.get("case_code") or "") > MAX_CASE_CODE_LENGTH:
        _add(errors, "case_code", _("At most %(n)d characters.", n=MAX_CASE_CODE_LENGTH))
    minutes = _minutes(data.get("estimated_hours"))
    if minutes is None or not MIN_MINUTES <= minutes <= MAX_MINUTES:
        _add(errors, "estimated_hours", _("Estimate between 0.25 and 40 hours."))
    mode = data.get("mode") or Mode.IN_PERSON
    if mode not in set(Mode):
        _add(errors, "mode", _("Choose in person or online."))
    urgency = data.get("urgency") or Urgency.NORMAL
    if urgency not in set(Urgency):
        _add(errors, "urgency", _("Choose normal, high or urgent."))
    return errors, found_personal_data, (table, sitting, areas, previous, question, minutes,
                                         mode, urgency)


def create(*, actor: User, data: dict, now: datetime | None = None) -> Referral:
    """Create a request of `actor`'s municipality for a session or a date window.

    `data` holds the fields of the request schema. Raises NotFound for a case table the
    actor may not see, PrivacyViolation / ValidationFailed naming the fields otherwise;
    nothing is written unless every check passes.
    """
    now = now or utcnow()
    if not actor.has_role(Role.REQUESTER) or actor.municipality_id is None:
        raise Forbidden(_("Only a requester of a municipality can submit a request."))

    errors, found_personal_data, parts = _check_input(actor=actor, data=data, now=now)
    if errors:
        message = _("The request was not submitted; see the marked fields.")
        if found_personal_data:
            raise PrivacyViolation(message, fields=errors)
        raise ValidationFailed(message, fields=errors)
    table, sitting, areas, previous, question, minutes, mode, urgency = parts

    referral = Referral(
        # A unique placeholder until the id is known; the reference derives from the id.
        reference=f"NEW-{secrets.token_hex(8)}",
        case_table=table,
        municipality_id=actor.municipality_id,
        created_by=actor,
        sitting=sitting,
        window_start=None if sitting else data.get("window_start"),
        window_end=None if sitting else data.get("window_end"),
        mode=str(mode),
        language=(data.get("language") or None),
        estimated_minutes=minutes,
        urgency=str(urgency),
        urgency_rank=URGENCY_RANK[Urgency(urgency)],
        case_code=(data.get("case_code") or "").strip() or None,
        question=question,
        previous=previous,
        status=ReferralStatus.SUBMITTED,
        created_at=now,
        updated_at=now,
        expertise=[ReferralExpertise(area=area, min_level=level) for area, level in areas],
    )
    if sitting is not None:
        # Urgent: filed less than URGENT_LEAD_HOURS before the session (derived here, once).
        hours = urgent_answer_hours(starts_at=sitting.starts_at, now=now)
        if hours is not None:
            referral.urgent_answer_hours = hours
            referral.answer_due_at = min(now + timedelta(hours=hours), sitting.starts_at)
    db.session.add(referral)
    db.session.flush()
    referral.reference = f"DV-{_local_today(now).year}-{referral.id:05d}"
    db.session.flush()
    record(actor=actor, action="referral.create", obj=referral, details={
        "reference": referral.reference,
        "case_table_id": table.id,
        "sitting_id": sitting.id if sitting else None,
        "urgency": referral.urgency,
        "urgent_answer_hours": referral.urgent_answer_hours,
        "area_ids": [area.id for area, _level in areas],
        "previous_id": previous.id if previous else None,
    })
    # Bookings offers an urgent request at once (the expert on duty first).
    signals.referral_submitted.send(referral, actor=actor, now=now)
    return referral


def acts_for(actor: User, referral: Referral) -> bool:
    """Whether `actor` may act on `referral` (cancel it, or its booking): a coordinator, or
    a requester of its municipality."""
    return actor.has_role(Role.COORDINATOR) or (
        actor.has_role(Role.REQUESTER) and actor.municipality_id == referral.municipality_id)


def by_requester(actor: User | None, referral: Referral) -> bool:
    """Whether `actor` changed `referral` as its requester's municipality rather than as the
    pool (a coordinator, an administrator, or the system when there is no actor)."""
    return (actor is not None and not actor.has_role(Role.COORDINATOR)
            and actor.has_role(Role.REQUESTER)
            and actor.municipality_id == referral.municipality_id)


def may_cancel(actor: User, referral: Referral) -> bool:
    """Whether `actor` may cancel `referral` now (for showing the button)."""
    return referral.status in CANCELLABLE and acts_for(actor, referral)


def cancel(*, actor: User, referral: Referral, reason: str,
           now: datetime | None = None) -> Referral:
    """Cancel a submitted, offered or booked request (its requester's municipality or a
    coordinator): its open offers are withdrawn and its booking cancelled; Conflict when
    it has already ended."""
    now = now or utcnow()
    if not acts_for(actor, referral):
        raise NotFound(_("Request not found."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give a reason."), fields={"reason": [_("Give a reason.")]})
    check_privacy(today=_local_today(now), limits={"reason": MAX_REASON_LENGTH}, reason=reason)
    previous_status = referral.status
    # Compare-and-swap: of two racing cancels (or a cancel racing an expert's accept that
    # changes the status) only one wins.
    changed = db.session.execute(
        update(Referral)
        .where(Referral.id == referral.id, Referral.status.in_([str(s) for s in CANCELLABLE]))
        .values(status=ReferralStatus.CANCELLED, cancelled_at=now, cancel_reason=reason[:500],
                updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    db.session.refresh(referral)
    if not changed:
        if referral.status == ReferralStatus.CANCELLED:
            raise Conflict(_("This request has already been cancelled."))
        raise Conflict(_("A completed or unfilled request can no longer be cancelled."))
    signals.referral_cancelled.send(referral, actor=actor, reason=reason, now=now,
                                    previous_status=previous_status)
    db.session.flush()
    record(actor=actor, action="referral.cancel", obj=referral,
           details={"reference": referral.reference, "from_status": str(previous_status)})
    return referral


def read_question(*, actor: User, referral: Referral) -> str | None:
    """The question text of a request the actor may see; every read is audited."""
    if referral.question is not None:
        record(actor=actor, action="referral.view_question", obj=referral,
               details={"reference": referral.reference})
    return referral.question


def purge_expired(*, now: datetime | None = None, months: int | None = None,
                  limit: int | None = None) -> int:
    """Erase the question text, case code and cancel reason of up to `limit` requests
    completed, cancelled or unfilled more than RETENTION_MONTHS ago, and (signal
    `referrals_purged`) the free text of their offers, bookings and hour lines; returns how
    many were erased (flushes, never commits).

    Counts, hours and money stay. One audit event records how many were erased, never which
    or what; the caller commits each batch and calls again until it returns 0.
    """
    now = now or utcnow()
    config = current_app.config
    months = int(config.get("RETENTION_MONTHS", 12)) if months is None else months
    limit = int(config.get("RETENTION_BATCH_SIZE", 500)) if limit is None else limit
    cutoff = now - relativedelta(months=months)
    expired = and_(
        Referral.purged_at.is_(None),
        or_(and_(Referral.status == ReferralStatus.COMPLETED, Referral.completed_at <= cutoff),
            and_(Referral.status == ReferralStatus.CANCELLED, Referral.cancelled_at <= cutoff),
            # Marked unfilled when its time passed; nothing changes it afterwards.
            and_(Referral.status == ReferralStatus.UNFILLED, Referral.updated_at <= cutoff)),
    )
    ids = db.session.scalars(
        select(Referral.id).where(expired).order_by(Referral.id).limit(limit)).all()
    if not ids:
        return 0
    # The condition again in the UPDATE: a concurrent purge that erased a row first is
    # not counted twice.
    erased = db.session.execute(
        update(Referral).where(Referral.id.in_(ids), expired)
        .values(question=None, case_code=None, cancel_reason=None, purged_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    # The free text on the requests' offers, bookings and hours goes with them (erasing
    # again what a concurrent purge erased first is harmless).
    signals.referrals_purged.send(None, ids=list(ids), now=now)
    if erased:
        record(actor=None, action="referral.purge", object_type="referral",
               details={"count": erased, "retention_months": months})
    return erased
