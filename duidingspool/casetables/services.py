"""Municipalities, case tables and their sessions: every change goes through here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, or_, select

from duidingspool.audit.services import record
from duidingspool.casetables import ics
from duidingspool.casetables.models import (
    CaseTable,
    Municipality,
    SafetyRegion,
    ScheduleSource,
    Sitting,
    SittingStatus,
)
from duidingspool.db import utcnow
from duidingspool.errors import Conflict, ValidationFailed
from duidingspool import signals
from duidingspool.extensions import db
from duidingspool.fetch import FetchRefused, fetch

RRULE_ORIGIN = "rrule"


# --- municipalities -------------------------------------------------------------------------

def _taken(message_field: str, message) -> ValidationFailed:
    return ValidationFailed(str(message), fields={message_field: [_("Already in use.")]})


@signals.municipalities_wanted.connect
def _municipality_names(_sender, *, ids: list[int] | None = None, **_kwargs) -> dict[int, str]:
    """{id: name} of the municipalities asked for (all when `ids` is None), by name."""
    query = select(Municipality.id, Municipality.name).order_by(Municipality.name,
                                                                Municipality.id)
    if ids is not None:
        query = query.where(Municipality.id.in_(ids))
    return {row.id: row.name for row in db.session.execute(query)}


def _check_municipality(*, municipality_id: int | None, name: str, cbs_code: str,
                        safety_region_id: int) -> None:
    if db.session.get(SafetyRegion, safety_region_id) is None:
        raise ValidationFailed(_("Choose a safety region."),
                               fields={"safety_region_id": [_("Unknown safety region.")]})
    clash = select(Municipality.id).where(Municipality.id != (municipality_id or 0))
    if db.session.scalar(clash.where(func.lower(Municipality.name) == name.lower())):
        raise _taken("name", _l("A municipality with this name exists already."))
    if db.session.scalar(clash.where(Municipality.cbs_code == cbs_code)):
        raise _taken("cbs_code", _l("A municipality with this CBS code exists already."))


def create_municipality(*, actor, name: str, cbs_code: str, safety_region_id: int,
                        latitude: Decimal, longitude: Decimal) -> Municipality:
    """Add a municipality."""
    name, cbs_code = name.strip(), cbs_code.strip().upper()
    _check_municipality(municipality_id=None, name=name, cbs_code=cbs_code,
                        safety_region_id=safety_region_id)
    municipality = Municipality(name=name, cbs_code=cbs_code, safety_region_id=safety_region_id,
                                latitude=latitude, longitude=longitude)
    db.session.add(municipality)
    db.session.flush()
    record(actor=actor, action="municipality.create", obj=municipality)
    return municipality


def update_municipality(*, actor, municipality: Municipality, name: str, cbs_code: str,
                        safety_region_id: int, latitude: Decimal,
                        longitude: Decimal) -> Municipality:
    """Change a municipality's name, code, region or location."""
    name, cbs_code = name.strip(), cbs_code.strip().upper()
    _check_municipality(municipality_id=municipality.id, name=name, cbs_code=cbs_code,
                        safety_region_id=safety_region_id)
    changed = _assign(municipality, name=name, cbs_code=cbs_code,
                      safety_region_id=safety_region_id, latitude=latitude, longitude=longitude)
    db.session.flush()
    if changed:
        record(actor=actor, action="municipality.update", obj=municipality,
               details={"fields": changed})
    return municipality


def _assign(obj, **values) -> list[str]:
    """Set the attributes that differ; the sorted names of those changed."""
    changed = []
    for name, value in values.items():
        current = getattr(obj, name)
        if isinstance(current, Decimal) and value is not None:
            same = Decimal(current) == Decimal(value)
        else:
            same = current == value
        if not same:
            setattr(obj, name, value)
            changed.append(name)
    return sorted(changed)


# --- case tables ----------------------------------------------------------------------------

def _load_municipalities(ids: list[int]) -> list[Municipality]:
    wanted = sorted(set(ids))
    found = list(db.session.scalars(select(Municipality).where(Municipality.id.in_(wanted))))
    if len(found) != len(wanted):
        raise ValidationFailed(_("Choose existing municipalities."),
                               fields={"municipality_ids": [_("Unknown municipality.")]})
    return found


def _case_table_values(*, case_table_id: int | None, name: str, host_organisation: str,
                       host_municipality_id: int, address: str, contact_email: str | None,
                       municipality_ids: list[int], schedule_source: str, rrule: str | None,
                       first_session_start: datetime | None, duration_minutes: int,
                       ics_url: str | None) -> tuple[dict, list[Municipality]]:
    """Checked values for a case table; raises ValidationFailed naming every culprit."""
    errors: dict[str, list[str]] = {}
    name = name.strip()
    clash = select(CaseTable.id).where(func.lower(CaseTable.name) == name.lower(),
                                       CaseTable.id != (case_table_id or 0))
    if db.session.scalar(clash):
        errors["name"] = [_("Already in use.")]
    host = db.session.get(Municipality, host_municipality_id)
    if host is None:
        errors["host_municipality_id"] = [_("Unknown municipality.")]
    if not municipality_ids:
        errors["municipality_ids"] = [_("Choose at least one municipality.")]
    schedule_source = ScheduleSource(schedule_source)
    rule_text = ics.normalise_rule(rrule) if rrule else None
    if schedule_source == ScheduleSource.RECURRENCE:
        if first_session_start is None:
            errors["first_session_date"] = [_("Enter the date and time of the first session.")]
        if not rule_text:
            errors["rrule"] = [_("Enter a recurrence rule, e.g. FREQ=MONTHLY;BYDAY=2TU.")]
        elif first_session_start is not None:
            try:
                ics.parse_rule(rule_text, first_session_start)
            except ValidationFailed as exc:
                errors.update(exc.fields)
    if errors:
        raise ValidationFailed(_("Some fields are not filled in correctly."), fields=errors)
    members = _load_municipalities(municipality_ids)
    if host not in members:
        members.append(host)  # the host always takes part in its own case table
    return dict(name=name, host_organisation=host_organisation.strip(),
                host_municipality_id=host.id, address=address.strip(),
                contact_email=(contact_email or "").strip().lower() or None,
                schedule_source=schedule_source.value, rrule=rule_text,
                first_session_start=first_session_start, duration_minutes=duration_minutes,
                ics_url=(ics_url or "").strip() or None), members


def create_case_table(*, actor, name: str, host_organisation: str, host_municipality_id: int,
                      address: str, municipality_ids: list[int], schedule_source: str,
                      duration_minutes: int = 120, contact_email: str | None = None,
                      rrule: str | None = None, first_session_start: datetime | None = None,
                      ics_url: str | None = None, is_active: bool = True,
                      now: datetime | None = None) -> CaseTable:
    """Add a case table; a recurrence case table gets its sessions right away."""
    values, members = _case_table_values(
        case_table_id=None, name=name, host_organisation=host_organisation,
        host_municipality_id=host_municipality_id, address=address,
        contact_email=contact_email, municipality_ids=municipality_ids,
        schedule_source=schedule_source, rrule=rrule, first_session_start=first_session_start,
        duration_minutes=duration_minutes, ics_url=ics_url)
    table = CaseTable(**values, is_active=is_active)
    table.municipalities = sorted(members, key=lambda m: m.name)
    db.session.add(table)
    db.session.flush()
    record(actor=actor, action="case_table.create", obj=table,
           details={"schedule_source": table.schedule_source,
                    "municipalities": len(table.municipalities)})
    if table.schedule_source == ScheduleSource.RECURRENCE and table.is_active:
        generate_sessions(actor=actor, case_table=table, now=now)
    return table


def update_case_table(*, actor, case_table: CaseTable, name: str, host_organisation: str,
                      host_municipality_id: int, address: str, municipality_ids: list[int],
                      schedule_source: str, duration_minutes: int = 120,
                      contact_email: str | None = None, rrule: str | None = None,
                      first_session_start: datetime | None = None, ics_url: str | None = None,
                      is_active: bool = True, now: datetime | None = None) -> CaseTable:
    """Change a case table; a changed rule or schedule updates its future sessions."""
    values, members = _case_table_values(
        case_table_id=case_table.id, name=name, host_organisation=host_organisation,
        host_municipality_id=host_municipality_id, address=address,
        contact_email=contact_email, municipality_ids=municipality_ids,
        schedule_source=schedule_source, rrule=rrule, first_session_start=first_session_start,
        duration_minutes=duration_minutes, ics_url=ics_url)
    changed = _assign(case_table, **values, is_active=is_active)
    if {m.id for m in case_table.municipalities} != {m.id for m in members}:
        case_table.municipalities = sorted(members, key=lambda m: m.name)
        changed.append("municipality_ids")
    db.session.flush()
    if changed:
        record(actor=actor, action="case_table.update", obj=case_table,
               details={"fields": sorted(changed)})
    schedule_fields = {"schedule_source", "rrule", "first_session_start", "duration_minutes",
                       "address", "is_active"}
    if schedule_fields & set(changed) and case_table.is_active:
        generate_sessions(actor=actor, case_table=case_table, now=now)
    return case_table


# --- sessions -------------------------------------------------------------------------------

@dataclass(frozen=True)
class ImportResult:
    """What an ICS import did, in counts; `skipped_past`: events of the file that lie
    wholly in the past, so they gave no session (only sessions from now on are imported)."""

    created: int = 0
    updated: int = 0
    cancelled: int = 0
    unchanged: int = 0
    skipped_past: int = 0


def _horizon(now: datetime | None, horizon_days: int | None) -> tuple[datetime, datetime]:
    now = now or utcnow()
    if horizon_days is None:
        horizon_days = int(current_app.config.get("SESSION_HORIZON_DAYS", 365))
    return now, now + timedelta(days=horizon_days)


def _is_referenced(sitting: Sitting) -> bool:
    """Whether any row points at this session, such as a request or a booking (then it is
    never deleted). Read from the schema's foreign keys: this package knows no such tables."""
    sitting_id = Sitting.__table__.c.id
    references = [exists().where(fk.parent == sitting.id)
                  for table in db.metadata.tables.values()
                  for fk in table.foreign_keys if fk.column is sitting_id]
    return bool(references) and bool(db.session.scalar(select(or_(*references))))


def generate_sessions(*, actor, case_table: CaseTable, now: datetime | None = None,
                      horizon_days: int | None = None) -> int:
    """Create the sessions the recurrence rule gives from now to the horizon; the number created.

    Idempotent: sessions are keyed by (case table, 'rrule', occurrence start) and a moved or
    cancelled session is never overwritten. Future untouched sessions the (changed) rule no
    longer gives are deleted, or cancelled when a request or booking refers to them.
    """
    now, until = _horizon(now, horizon_days)
    existing = {
        s.origin_start: s for s in db.session.scalars(
            select(Sitting).where(Sitting.case_table_id == case_table.id,
                                  Sitting.origin_uid == RRULE_ORIGIN,
                                  Sitting.origin_start >= now))
    }
    wanted: set[datetime] = set()
    uses_rule = (case_table.schedule_source == ScheduleSource.RECURRENCE and case_table.rrule
                 and case_table.first_session_start is not None)
    if uses_rule:
        # Look as far as the furthest existing session, so a shorter horizon deletes nothing.
        last = max([until, *existing.keys()])
        occurrences = ics.rule_occurrences(case_table.rrule, case_table.first_session_start,
                                           start=now, end=last)
        wanted = set(occurrences)
    duration = timedelta(minutes=case_table.duration_minutes)
    created = updated = deleted = cancelled = 0
    for start in sorted(wanted):
        sitting = existing.get(start)
        if sitting is None:
            if start > until:
                continue
            db.session.add(Sitting(case_table_id=case_table.id, starts_at=start,
                                   ends_at=start + duration, location=case_table.address,
                                   is_online=False, status=SittingStatus.SCHEDULED,
                                   origin_uid=RRULE_ORIGIN, origin_start=start, sequence=0))
            created += 1
        elif (sitting.status == SittingStatus.SCHEDULED and sitting.starts_at == start
              and (sitting.ends_at != start + duration or sitting.location != case_table.address)):
            # Untouched, but the duration or address of the case table changed: its bookings
            # follow (new end or place, a higher SEQUENCE, an updated invitation).
            sitting.ends_at = start + duration
            sitting.location = case_table.address
            sitting.sequence += 1
            updated += 1
            signals.sitting_changed.send(sitting, actor=actor)
    for start, sitting in existing.items():
        if start in wanted or sitting.status != SittingStatus.SCHEDULED:
            continue
        if _is_referenced(sitting):
            sitting.status = SittingStatus.CANCELLED
            sitting.sequence += 1
            cancelled += 1
            signals.sitting_changed.send(sitting, actor=actor)
        else:
            db.session.delete(sitting)
            deleted += 1
    db.session.flush()
    if created or updated or deleted or cancelled:
        record(actor=actor, action="case_table.generate_sessions", obj=case_table,
               details={"created": created, "updated": updated, "deleted": deleted,
                        "cancelled": cancelled})
    return created


def import_ics(*, actor, case_table: CaseTable, data: bytes, now: datetime | None = None,
               horizon_days: int | None = None, source: str = "upload") -> ImportResult:
    """Bring the case table's imported sessions in line with an ICS feed (all or nothing).

    Occurrences are keyed by UID and RECURRENCE-ID: new ones are created, changed ones
    updated (status moved when the time changed), STATUS:CANCELLED ones cancelled, and
    imported future sessions no longer in the feed cancelled. A malformed file raises
    ValidationFailed before anything is written. Titles and descriptions are not stored.
    """
    now, until = _horizon(now, horizon_days)
    occurrences = ics.parse_ics(data, start=now, end=until,
                                default_duration=timedelta(minutes=case_table.duration_minutes),
                                budget=ics.expansion_budget(current_app.config))
    existing = {
        (s.origin_uid, s.origin_start): s for s in db.session.scalars(
            select(Sitting).where(Sitting.case_table_id == case_table.id,
                                  Sitting.origin_uid != RRULE_ORIGIN))
    }
    created = updated = cancelled = unchanged = 0
    seen = set()
    for occ in occurrences:
        key = (occ.uid, occ.origin_start)
        seen.add(key)
        sitting = existing.get(key)
        if sitting is None:
            if occ.cancelled:
                continue  # never known, nothing to cancel
            db.session.add(Sitting(case_table_id=case_table.id, starts_at=occ.starts_at,
                                   ends_at=occ.ends_at, location=occ.location, is_online=False,
                                   status=SittingStatus.SCHEDULED, origin_uid=occ.uid,
                                   origin_start=occ.origin_start, sequence=0))
            created += 1
            continue
        if sitting.status == SittingStatus.CANCELLED:
            unchanged += 1  # a cancellation is final; the feed does not revive it
            continue
        if occ.cancelled:
            sitting.status = SittingStatus.CANCELLED
            sitting.sequence += 1
            cancelled += 1
            signals.sitting_changed.send(sitting, actor=actor)
            continue
        time_changed = (sitting.starts_at, sitting.ends_at) != (occ.starts_at, occ.ends_at)
        if time_changed or sitting.location != occ.location:
            sitting.starts_at, sitting.ends_at = occ.starts_at, occ.ends_at
            sitting.location = occ.location
            if time_changed:
                sitting.status = SittingStatus.MOVED
            sitting.sequence += 1
            updated += 1
            signals.sitting_changed.send(sitting, actor=actor)
        else:
            unchanged += 1
    for key, sitting in existing.items():
        if (key in seen or sitting.status == SittingStatus.CANCELLED
                or sitting.starts_at < now):
            continue
        sitting.status = SittingStatus.CANCELLED
        sitting.sequence += 1
        cancelled += 1
        signals.sitting_changed.send(sitting, actor=actor)
    case_table.ics_imported_at = utcnow()
    db.session.flush()
    skipped_past = ics.count_past_events(data, start=now,
                                         imported_uids={occ.uid for occ in occurrences})
    result = ImportResult(created=created, updated=updated, cancelled=cancelled,
                          unchanged=unchanged, skipped_past=skipped_past)
    record(actor=actor, action="case_table.import_ics", obj=case_table,
           details={"source": source, "created": created, "updated": updated,
                    "cancelled": cancelled, "unchanged": unchanged,
                    "skipped_past": skipped_past})
    return result


def fetch_ics(url: str, *, timeout: float | None = None, max_bytes: int | None = None,
              field: str = "url") -> bytes:
    """The body at an http(s) URL, within the configured timeout and size, from a public
    address only (see duidingspool.fetch); ValidationFailed at `field` else. Touches no
    database: call it before writing anything, so no write lock is held while it waits."""
    config = current_app.config
    timeout = timeout if timeout is not None else config.get("ICS_FETCH_TIMEOUT_SECONDS", 10)
    max_bytes = max_bytes if max_bytes is not None else config.get("ICS_FETCH_MAX_BYTES",
                                                                     2 * 1024 * 1024)
    url = (url or "").strip()
    if not url.lower().startswith(("http://", "https://")):
        raise ValidationFailed(_("Give an http or https address."),
                               fields={field: [_("Use an http:// or https:// address.")]})
    try:
        return fetch(url, timeout=timeout, max_bytes=max_bytes,
                     allow_private=bool(config.get("ICS_FETCH_ALLOW_PRIVATE")))
    except FetchRefused as exc:
        reason = str(exc.reason)
    raise ValidationFailed(_("The calendar could not be fetched: %(reason)s", reason=reason),
                           fields={field: [reason]})


def import_ics_url(*, actor, case_table: CaseTable, url: str | None = None,
                   now: datetime | None = None, horizon_days: int | None = None,
                   timeout: float | None = None, max_bytes: int | None = None) -> ImportResult:
    """Fetch the ICS feed at `url` (default: the case table's own) and import it."""
    url = url or case_table.ics_url
    if not url:
        raise ValidationFailed(_("This case table has no calendar address."),
                               fields={"url": [_("Enter the address of the calendar.")]})
    # Fetched (and then parsed) before anything is written: no write lock while waiting.
    data = fetch_ics(url, timeout=timeout, max_bytes=max_bytes)
    return import_ics(actor=actor, case_table=case_table, data=data, now=now,
                      horizon_days=horizon_days, source="url")


def move_sitting(*, actor, sitting: Sitting, starts_at: datetime, ends_at: datetime,
                 location: str | None = None, is_online: bool | None = None) -> Sitting:
    """Move a session to another time or place (status moved, sequence + 1)."""
    if sitting.status == SittingStatus.CANCELLED:
        raise Conflict(_("A cancelled session cannot be moved."))
    if ends_at <= starts_at:
        raise ValidationFailed(_("The session must end after it starts."),
                               fields={"ends_at": [_("Must be after the start.")]})
    values = {"starts_at": starts_at, "ends_at": ends_at}
    if location is not None:
        values["location"] = location.strip() or None
    if is_online is not None:
        values["is_online"] = is_online
    changed = _assign(sitting, **values)
    if not changed:
        return sitting
    sitting.status = SittingStatus.MOVED
    sitting.sequence += 1
    db.session.flush()
    record(actor=actor, action="sitting.move", obj=sitting, details={"fields": changed})
    signals.sitting_changed.send(sitting, actor=actor)
    return sitting


def cancel_sitting(*, actor, sitting: Sitting, reason: str) -> Sitting:
    """Cancel a session (status cancelled, sequence + 1); the reason is kept as its note."""
    if sitting.status == SittingStatus.CANCELLED:
        raise Conflict(_("This session is already cancelled."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give a reason for the cancellation."),
                               fields={"reason": [_("Required.")]})
    sitting.status = SittingStatus.CANCELLED
    sitting.note = reason
    sitting.sequence += 1
    db.session.flush()
    record(actor=actor, action="sitting.cancel", obj=sitting)
    signals.sitting_changed.send(sitting, actor=actor)
    return sitting

