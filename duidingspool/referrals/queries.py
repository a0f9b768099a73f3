"""Read-side queries for requests: who may see which, the inbox order, form choices."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import Row, Select, false, or_, select
from sqlalchemy.orm import selectinload

from duidingspool.accounts.models import Role, User
from duidingspool.casetables.models import (
    CaseTable,
    Sitting,
    SittingStatus,
    case_table_municipality,
)
from duidingspool import signals
from duidingspool.db import utcnow
from duidingspool.errors import NotFound
from duidingspool.experts.models import ExpertiseArea
from duidingspool.extensions import db
from duidingspool.referrals.models import Referral, ReferralExpertise, ReferralStatus

# How far ahead the request form offers sessions.
SESSION_CHOICE_HORIZON = timedelta(days=366)


def _with_details() -> Select:
    return select(Referral).options(
        selectinload(Referral.case_table), selectinload(Referral.municipality),
        selectinload(Referral.sitting),
        selectinload(Referral.expertise).selectinload(ReferralExpertise.area),
    )


def visible_referrals(actor: User) -> Select:
    """A select of the requests `actor` may see and act on: a coordinator all, a requester
    their municipality's; anyone else none (an expert reads, see `readable_referrals`)."""
    return _visible_to(actor, _with_details())


def _visible_to(actor: User, query: Select) -> Select:
    """`query` (of requests) narrowed to those `actor` may see (see visible_referrals)."""
    if actor.has_role(Role.COORDINATOR):
        return query
    if actor.has_role(Role.REQUESTER) and actor.municipality_id is not None:
        return query.where(Referral.municipality_id == actor.municipality_id)
    return query.where(false())


def readable_referrals(actor: User, *, now: datetime | None = None) -> Select:
    """A select of the requests whose page (question, case code) `actor` may read: those of
    `visible_referrals`, and for an expert those they need to know. Which those are,
    bookings answers (signals.expert_scope_wanted): an offer waiting for their answer, or
    their confirmed booking; before the offer is sent and once it is declined, withdrawn
    or expired, or the booking cancelled, none."""
    if actor.has_role(Role.COORDINATOR) or not actor.has_role(Role.EXPERT):
        return visible_referrals(actor)
    needed = signals.ask(signals.expert_scope_wanted, actor, now=now or utcnow())
    if actor.has_role(Role.REQUESTER) and actor.municipality_id is not None:
        needed = or_(needed, Referral.municipality_id == actor.municipality_id)
    return _with_details().where(needed)


def get_for(actor: User, referral_id: int) -> Referral:
    """The request if `actor` may see it; NotFound otherwise (never reveal it exists)."""
    referral = db.session.scalar(visible_referrals(actor).where(Referral.id == referral_id))
    if referral is None:
        raise NotFound(_("Request not found."))
    return referral


def get_readable(actor: User, referral_id: int, *, now: datetime | None = None) -> Referral:
    """The request if `actor` may read it (`readable_referrals`); NotFound otherwise."""
    referral = db.session.scalar(
        readable_referrals(actor, now=now).where(Referral.id == referral_id))
    if referral is None:
        raise NotFound(_("Request not found."))
    return referral


def list_for(actor: User, *, statuses=None, order: str = "inbox") -> Select:
    """The requests `actor` may see, optionally of some statuses.

    order "inbox": most urgent first, then newest; "newest": newest first.
    """
    query = visible_referrals(actor)
    if statuses:
        query = query.where(Referral.status.in_([str(s) for s in statuses]))
    if order == "inbox":
        return query.order_by(Referral.urgency_rank, Referral.created_at.desc(),
                              Referral.id.desc())
    return query.order_by(Referral.created_at.desc(), Referral.id.desc())


def requestable_case_tables(actor: User, *, active_only: bool = False) -> Select:
    """The case tables `actor` may submit requests for: those their municipality takes
    part in (whatever other roles the actor holds), by name."""
    if not actor.has_role(Role.REQUESTER) or actor.municipality_id is None:
        return select(CaseTable).where(false())
    query = select(CaseTable).where(CaseTable.id.in_(
        select(case_table_municipality.c.case_table_id).where(
            case_table_municipality.c.municipality_id == actor.municipality_id)
    )).order_by(CaseTable.name)
    if active_only:
        query = query.where(CaseTable.is_active.is_(True))
    return query


def get_requestable_case_table(actor: User, case_table_id: int) -> CaseTable:
    """A case table `actor` may submit requests for; NotFound otherwise."""
    table = db.session.scalar(
        requestable_case_tables(actor).where(CaseTable.id == case_table_id))
    if table is None:
        raise NotFound(_("Case table not found."))
    return table


def upcoming_sessions(actor: User, *, now: datetime | None = None) -> list[Sitting]:
    """Sessions a request can be made for: not cancelled, not started, of a visible case
    table the actor may submit requests for, within the choice horizon; ordered by case
    table name and start."""
    now = now or utcnow()
    tables = requestable_case_tables(actor, active_only=True).subquery()
    return list(db.session.scalars(
        select(Sitting)
        .join(tables, tables.c.id == Sitting.case_table_id)
        .where(Sitting.status != SittingStatus.CANCELLED, Sitting.starts_at > now,
               Sitting.starts_at <= now + SESSION_CHOICE_HORIZON)
        .options(selectinload(Sitting.case_table))
        .order_by(tables.c.name, Sitting.starts_at)
    ))


def active_areas() -> list[ExpertiseArea]:
    """The expertise areas a request may ask for."""
    return list(db.session.scalars(
        select(ExpertiseArea).where(ExpertiseArea.is_active.is_(True))
        .order_by(ExpertiseArea.name_nl)
    ))


def earlier_requests(actor: User) -> list[Row]:
    """Requests `actor` may link a new one to (their municipality's), newest first: what
    the form's choice shows of each (id, reference, case_code, case_table_name), not the
    whole requests with everything they hold (200 of them for a busy municipality)."""
    columns = select(Referral.id, Referral.reference, Referral.case_code,
                     CaseTable.name.label("case_table_name")
                     ).join(CaseTable, CaseTable.id == Referral.case_table_id)
    return list(db.session.execute(
        _visible_to(actor, columns).where(Referral.municipality_id == actor.municipality_id)
        .order_by(Referral.created_at.desc(), Referral.id.desc()).limit(200)
    ))


def statuses_for_filter(name: str | None) -> list[ReferralStatus] | None:
    """The statuses a filter name stands for: "open" (default), "all" or one status."""
    if name in (None, "", "open"):
        return [ReferralStatus.SUBMITTED, ReferralStatus.OFFERED]
    if name == "all":
        return None
    try:
        return [ReferralStatus(name)]
    except ValueError:
        return [ReferralStatus.SUBMITTED, ReferralStatus.OFFERED]
