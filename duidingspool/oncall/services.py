"""The on-call rota: the coordinator's weekly pattern and overrides, and who is on duty.

A week is named by its Monday (Europe/Amsterdam) and runs from that Monday 00:00 to the
next. The pattern gives week `starts_on + k` to the k-th expert in turn (modulo their
number); an override gives one week to another expert or to nobody. Before the start week
nobody is on duty. Every change raises the rota's version, which the experts' calendar
feeds carry in their ETag (ical), and is recorded in the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, select

from duidingspool.accounts.models import User
from duidingspool.audit.services import record
from duidingspool.db import utcnow
from duidingspool.errors import NotFound, ValidationFailed
from duidingspool.experts.models import Expert
from duidingspool.extensions import db
from duidingspool.oncall.models import OnCallMember, OnCallOverride, OnCallRota, OverrideKind
from duidingspool.timeutil import local_date

WEEK = timedelta(days=7)
# How far ahead the rota page, and an override, may reach.
MAX_WEEKS_AHEAD = 104


def week_of(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class DutyWeek:
    """One week of the rota: who is on duty (None: a gap) and why (pattern or override)."""
    week_start: date
    expert_id: int | None
    expert_name: str | None
    source: str  # "pattern", "override" or "none"
    override_id: int | None = None
    override_kind: str | None = None

    @property
    def week_number(self) -> int:
        return self.week_start.isocalendar().week

    @property
    def is_gap(self) -> bool:
        return self.expert_id is None


def get_rota() -> OnCallRota | None:
    return db.session.get(OnCallRota, 1)


def members() -> list[OnCallMember]:
    """The pattern's experts in turn."""
    return list(db.session.scalars(select(OnCallMember).order_by(OnCallMember.position)))


def _bump(now: datetime, *, starts_on: date | None = None) -> OnCallRota:
    rota = get_rota()
    if rota is None:
        rota = OnCallRota(id=1, starts_on=starts_on or week_of(local_date(now)), version=0,
                          updated_at=now)
        db.session.add(rota)
    rota.version = (rota.version or 0) + 1
    rota.updated_at = now
    if starts_on is not None:
        rota.starts_on = starts_on
    db.session.flush()
    return rota


def _experts_by_id(ids) -> dict[int, Expert]:
    ids = [i for i in ids if i is not None]
    if not ids:
        return {}
    return {e.id: e for e in db.session.scalars(select(Expert).where(Expert.id.in_(ids)))}


def set_pattern(*, actor: User, starts_on: date, expert_ids: list[int],
                now: datetime | None = None) -> list[OnCallMember]:
    """Replace the pattern: `expert_ids` take turns week by week from the week of
    `starts_on` (moved back to its Monday). An empty list clears the pattern."""
    now = now or utcnow()
    errors: dict[str, list[str]] = {}
    if len(set(expert_ids)) != len(expert_ids):
        errors["expert_ids"] = [_("Each expert may appear only once in the rota.")]
    experts = _experts_by_id(expert_ids)
    if any(i not in experts or not experts[i].is_active for i in expert_ids):
        errors.setdefault("expert_ids", []).append(_("Choose active experts of the pool."))
    if starts_on is None:
        errors["starts_on"] = [_("Give the first week of the rota.")]
    if errors:
        raise ValidationFailed(_("The rota was not saved; see the marked fields."),
                               fields=errors)
    starts_on = week_of(starts_on)
    db.session.execute(delete(OnCallMember))
    db.session.flush()
    added = [OnCallMember(position=position, expert_id=expert_id)
             for position, expert_id in enumerate(expert_ids)]
    db.session.add_all(added)
    _bump(now, starts_on=starts_on)
    record(actor=actor, action="oncall.pattern", object_type="oncall_rota", object_id=1,
           details={"starts_on": starts_on.isoformat(), "expert_ids": list(expert_ids)})
    return added


def _check_week(week_start: date | None, now: datetime, errors: dict) -> date | None:
    if week_start is None:
        errors["week_start"] = [_("Choose a week.")]
        return None
    week_start = week_of(week_start)
    this_week = week_of(local_date(now))
    if week_start < this_week:
        errors["week_start"] = [_("This week has passed; choose this week or a later one.")]
    elif week_start > this_week + MAX_WEEKS_AHEAD * WEEK:
        errors["week_start"] = [_("Choose a week within two years.")]
    return week_start


def set_override(*, actor: User, week_start: date, expert_id: int | None,
                 kind: str = OverrideKind.OTHER, now: datetime | None = None
                 ) -> OnCallOverride:
    """Give one week (of `week_start`) to another expert, or to nobody (`expert_id`
    None): a holiday, a swap. Replaces an earlier override of that week."""
    now = now or utcnow()
    errors: dict[str, list[str]] = {}
    week_start = _check_week(week_start, now, errors)
    if expert_id is not None:
        expert = db.session.get(Expert, expert_id)
        if expert is None or not expert.is_active:
            errors["expert_id"] = [_("Choose an active expert of the pool, or nobody.")]
    if kind not in set(OverrideKind):
        errors["kind"] = [_("Choose holiday, swap or other.")]
    if errors:
        raise ValidationFailed(_("The change of the rota was not saved; see the marked fields."),
                               fields=errors)
    override = db.session.scalar(select(OnCallOverride)
                                 .where(OnCallOverride.week_start == week_start))
    if override is None:
        override = OnCallOverride(week_start=week_start, created_by_id=actor.id,
                                  created_at=now)
        db.session.add(override)
    override.expert_id = expert_id
    override.kind = str(kind)
    override.created_by_id = actor.id
    override.created_at = now
    db.session.flush()
    _bump(now)
    record(actor=actor, action="oncall.override", obj=override,
           details={"week_start": week_start.isoformat(), "expert_id": expert_id,
                    "kind": str(kind)})
    return override


def get_override(override_id: int) -> OnCallOverride:
    override = db.session.get(OnCallOverride, override_id)
    if override is None:
        raise NotFound(_("This change of the rota does not exist."))
    return override


def delete_override(*, actor: User, override: OnCallOverride,
                    now: datetime | None = None) -> None:
    """Remove an override: its week follows the pattern again."""
    now = now or utcnow()
    details = {"week_start": override.week_start.isoformat(), "expert_id": override.expert_id}
    override_id = override.id
    db.session.delete(override)
    db.session.flush()
    _bump(now)
    record(actor=actor, action="oncall.override_delete", object_type="oncall_override",
           object_id=override_id, details=details)


def duty_weeks(first_week: date, count: int) -> list[DutyWeek]:
    """Who is on duty in `count` weeks from the week of `first_week` (three queries)."""
    first_week = week_of(first_week)
    last_week = first_week + (count - 1) * WEEK
    rota = get_rota()
    turn = members()
    overrides = {o.week_start: o for o in db.session.scalars(
        select(OnCallOverride).where(OnCallOverride.week_start >= first_week,
                                     OnCallOverride.week_start <= last_week))}
    names = {e.id: e.user.name for e in _experts_by_id(
        [m.expert_id for m in turn] + [o.expert_id for o in overrides.values()]).values()}
    weeks = []
    for index in range(count):
        week = first_week + index * WEEK
        override = overrides.get(week)
        if override is not None:
            weeks.append(DutyWeek(week, override.expert_id, names.get(override.expert_id),
                                  "override", override.id, override.kind))
            continue
        if rota is None or not turn or week < rota.starts_on:
            weeks.append(DutyWeek(week, None, None, "none"))
            continue
        member = turn[((week - rota.starts_on).days // 7) % len(turn)]
        weeks.append(DutyWeek(week, member.expert_id, names.get(member.expert_id), "pattern"))
    return weeks


def on_duty(at: datetime) -> int | None:
    """The expert on duty at the instant `at`, or None."""
    return duty_weeks(local_date(at), 1)[0].expert_id


def gaps(*, now: datetime | None = None, weeks: int = 8) -> list[DutyWeek]:
    """The weeks without anyone on duty among the coming `weeks` (this week first)."""
    now = now or utcnow()
    return [week for week in duty_weeks(local_date(now), weeks) if week.is_gap]


def duty_weeks_of(expert_id: int, *, first_week: date, count: int) -> list[DutyWeek]:
    """The weeks `expert_id` is on duty among `count` weeks from `first_week`."""
    return [week for week in duty_weeks(first_week, count) if week.expert_id == expert_id]


def version() -> int:
    """The rota's version (0 before it was first set): raised by every change."""
    rota = get_rota()
    return rota.version if rota is not None else 0
