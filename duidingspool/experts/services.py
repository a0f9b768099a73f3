"""Expertise areas (the managed taxonomy), expert profiles, rates, vetting and availability."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import icalendar
import recurring_ical_events
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from dateutil.relativedelta import relativedelta
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import selectinload

from duidingspool.accounts import services as accounts
from duidingspool.accounts.models import Role, User
from duidingspool.audit.services import record
from duidingspool.casetables.models import Municipality
from duidingspool.casetables.ics import (
    CalendarRefused,
    ExpansionBudget,
    bound_recurrences,
    expansion_budget,
)
from duidingspool.casetables.services import fetch_ics
from duidingspool.db import utcnow
from duidingspool.errors import Conflict, NotFound, ValidationFailed
from duidingspool.experts.models import (
    Absence,
    AvailabilityWindow,
    BusyInterval,
    Expert,
    ExpertConflict,
    ExpertExpertise,
    ExpertiseArea,
    ExpertLanguage,
    ExpertRate,
)
from duidingspool.extensions import db
from duidingspool.privacy import check_privacy
from duidingspool.timeutil import LOCAL_TZ, local_day_bounds, to_local


def list_areas(*, include_inactive: bool = True) -> list[ExpertiseArea]:
    """The expertise areas by Dutch name (active ones only when asked)."""
    query = select(ExpertiseArea).order_by(ExpertiseArea.name_nl)
    if not include_inactive:
        query = query.where(ExpertiseArea.is_active.is_(True))
    return list(db.session.scalars(query))


def get_area(area_id: int) -> ExpertiseArea:
    """An expertise area by id, or NotFound."""
    area = db.session.get(ExpertiseArea, area_id)
    if area is None:
        raise NotFound(_("Expertise area not found."))
    return area


def _check_unique(*, area_id: int | None, code: str, name_nl: str, name_en: str) -> None:
    errors: dict[str, list[str]] = {}
    others = select(ExpertiseArea.id).where(ExpertiseArea.id != (area_id or 0))
    if db.session.scalar(others.where(ExpertiseArea.code == code)):
        errors["code"] = [_("Already in use.")]
    if db.session.scalar(others.where(func.lower(ExpertiseArea.name_nl) == name_nl.lower())):
        errors["name_nl"] = [_("Already in use.")]
    if db.session.scalar(others.where(func.lower(ExpertiseArea.name_en) == name_en.lower())):
        errors["name_en"] = [_("Already in use.")]
    if errors:
        raise ValidationFailed(_("Some fields are not filled in correctly."), fields=errors)


def create_area(*, actor, code: str, name_nl: str, name_en: str,
                description: str | None = None) -> ExpertiseArea:
    """Add an expertise area."""
    code, name_nl, name_en = code.strip().lower(), name_nl.strip(), name_en.strip()
    _check_unique(area_id=None, code=code, name_nl=name_nl, name_en=name_en)
    area = ExpertiseArea(code=code, name_nl=name_nl, name_en=name_en,
                         description=(description or "").strip() or None, is_active=True)
    db.session.add(area)
    db.session.flush()
    record(actor=actor, action="expertise_area.create", obj=area)
    return area


def update_area(*, actor, area: ExpertiseArea, code: str, name_nl: str, name_en: str,
                description: str | None = None) -> ExpertiseArea:
    """Change an expertise area's code, names or description."""
    code, name_nl, name_en = code.strip().lower(), name_nl.strip(), name_en.strip()
    _check_unique(area_id=area.id, code=code, name_nl=name_nl, name_en=name_en)
    values = {"code": code, "name_nl": name_nl, "name_en": name_en,
              "description": (description or "").strip() or None}
    changed = sorted(name for name, value in values.items() if getattr(area, name) != value)
    for name in changed:
        setattr(area, name, values[name])
    db.session.flush()
    if changed:
        record(actor=actor, action="expertise_area.update", obj=area, details={"fields": changed})
    return area


def set_area_active(*, actor, area: ExpertiseArea, active: bool) -> ExpertiseArea:
    """Deactivate (no longer offered for new requests or profiles) or reactivate an area."""
    if area.is_active != active:
        area.is_active = active
        db.session.flush()
        record(actor=actor, action="expertise_area.activate" if active
               else "expertise_area.deactivate", obj=area)
    return area


# --- Expert profiles (coordinator) -----------------------------------------------------------

# ISO 639-1 language codes.
LANGUAGE_CODES = frozenset("""
aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy
da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht
hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky
la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny
oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss
st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo
za zh zu
""".split())

VETTING_NOTICE_DAYS = 60
# An absence's reason (the column holds 200 characters).
MAX_ABSENCE_REASON_LENGTH = 200


def _invalid(message, **fields_) -> ValidationFailed:
    return ValidationFailed(str(message), fields={k: [str(v)] for k, v in fields_.items()})


def today_local(now: datetime | None = None) -> date:
    """Today's date in Europe/Amsterdam."""
    return to_local(now or utcnow()).date()


def list_experts() -> list[Expert]:
    """Every expert with user, home municipality, areas, languages and rates, by name."""
    query = (select(Expert).join(Expert.user)
             .options(selectinload(Expert.user), selectinload(Expert.home_municipality),
                      selectinload(Expert.expertise).selectinload(ExpertExpertise.area),
                      selectinload(Expert.languages), selectinload(Expert.rates))
             .order_by(func.lower(User.name), Expert.id))
    experts = list(db.session.scalars(query))
    attach_conflicts(experts)
    return experts


def attach_conflicts(experts: list[Expert]) -> None:
    """Set `conflict_municipality_ids` on each expert with one query."""
    by_expert: dict[int, list[int]] = {e.id: [] for e in experts}
    if by_expert:
        rows = db.session.execute(
            select(ExpertConflict.expert_id, ExpertConflict.municipality_id)
            .where(ExpertConflict.expert_id.in_(list(by_expert)))
            .order_by(ExpertConflict.municipality_id))
        for expert_id, municipality_id in rows:
            by_expert[expert_id].append(municipality_id)
    for expert in experts:
        expert.conflict_municipality_ids = by_expert[expert.id]


def get_expert(expert_id: int) -> Expert:
    """An expert by id (for the coordinator), or NotFound."""
    expert = db.session.get(Expert, expert_id)
    if expert is None:
        raise NotFound(_("Expert not found."))
    attach_conflicts([expert])
    return expert


def own_expert(actor: User) -> Expert:
    """The actor's own expert profile, or NotFound."""
    expert = actor.expert
    if expert is None:
        raise NotFound(_("You have no expert profile."))
    attach_conflicts([expert])
    return expert


def get_expert_for(actor: User, expert_id: int) -> Expert:
    """An expert the actor may see: the coordinator any, an expert only themself."""
    if actor.has_role(Role.COORDINATOR):
        return get_expert(expert_id)
    expert = actor.expert
    if expert is None or expert.id != expert_id:
        raise NotFound(_("Expert not found."))
    attach_conflicts([expert])
    return expert


def visible_experts(actor: User) -> list[Expert]:
    """All experts for the coordinator; only their own profile for an expert."""
    if actor.has_role(Role.COORDINATOR):
        return list_experts()
    own = actor.expert
    if own is None:
        return []
    attach_conflicts([own])
    return [own]


def _check_profile(*, home_municipality_id: int, languages: list[str],
                   areas: dict[int, int], conflict_municipality_ids: list[int],
                   vog_issued_on: date | None, vog_expires_on: date | None,
                   confidentiality_signed_on: date | None,
                   confidentiality_expires_on: date | None,
                   current_area_ids: set[int] = frozenset()) -> None:
    errors: dict[str, list[str]] = {}
    if db.session.get(Municipality, home_municipality_id) is None:
        errors["home_municipality_id"] = [_("Choose a municipality from the list.")]
    unknown = sorted(code for code in languages if code not in LANGUAGE_CODES)
    if unknown:
        errors["languages"] = [_("Unknown language code: %(codes)s. Use ISO 639-1 codes "
                                      "such as nl, en, ar, tr.", codes=", ".join(unknown))]
    if areas:
        found = {a.id: a for a in db.session.scalars(
            select(ExpertiseArea).where(ExpertiseArea.id.in_(list(areas))))}
        bad = [i for i in areas if i not in found
               or (not found[i].is_active and i not in current_area_ids)]
        if bad:
            errors["areas"] = [_("Choose active expertise areas from the list.")]
        if any(level not in (1, 2, 3) for level in areas.values()):
            errors.setdefault("areas", []).append(_("A level is 1, 2 or 3."))
    if conflict_municipality_ids:
        count = db.session.scalar(select(func.count()).select_from(Municipality)
                                  .where(Municipality.id.in_(conflict_municipality_ids)))
        if count != len(set(conflict_municipality_ids)):
            errors["conflict_municipality_ids"] = [
                _("Choose municipalities from the list.")]
    if vog_issued_on and vog_expires_on and vog_expires_on < vog_issued_on:
        errors["vog_expires_on"] = [_("The expiry date comes after the issue date.")]
    if (confidentiality_signed_on and confidentiality_expires_on
            and confidentiality_expires_on < confidentiality_signed_on):
        errors["confidentiality_expires_on"] = [
            _("The expiry date comes after the date of signing.")]
    if errors:
        raise ValidationFailed(_("Some fields are not filled in correctly."), fields=errors)


_PROFILE_COLUMNS = ("home_municipality_id", "max_travel_km", "max_hours_per_month", "is_active",
                    "vog_issued_on", "vog_expires_on", "confidentiality_signed_on",
                    "confidentiality_expires_on")


def _apply_profile(expert: Expert, *, languages: list[str], areas: dict[int, int],
                   conflict_municipality_ids: list[int], **columns) -> list[str]:
    """Write the profile; returns the names of what changed."""
    changed = []
    for name in _PROFILE_COLUMNS:
        if name in columns and getattr(expert, name) != columns[name]:
            setattr(expert, name, columns[name])
            changed.append(name)
    wanted_languages = sorted(set(languages))
    if sorted(lang.language for lang in expert.languages) != wanted_languages:
        expert.languages = [ExpertLanguage(language=code) for code in wanted_languages]
        changed.append("languages")
    current = {e.expertise_area_id: e for e in expert.expertise}
    if {k: v.level for k, v in current.items()} != areas:
        for area_id, row in current.items():
            if area_id not in areas:
                expert.expertise.remove(row)
            elif row.level != areas[area_id]:
                row.level = areas[area_id]
        for area_id, level in areas.items():
            if area_id not in current:
                expert.expertise.append(ExpertExpertise(expertise_area_id=area_id, level=level))
        changed.append("areas")
    db.session.flush()
    wanted_conflicts = sorted(set(conflict_municipality_ids))
    existing = sorted(db.session.scalars(select(ExpertConflict.municipality_id)
                                         .where(ExpertConflict.expert_id == expert.id)))
    if existing != wanted_conflicts:
        db.session.execute(delete(ExpertConflict).where(ExpertConflict.expert_id == expert.id))
        db.session.add_all(ExpertConflict(expert_id=expert.id, municipality_id=m)
                           for m in wanted_conflicts)
        changed.append("conflict_municipality_ids")
    db.session.flush()
    expert.conflict_municipality_ids = wanted_conflicts
    return sorted(changed)


def create_expert(*, actor, account: str = "new", email: str, name: str | None = None,
                  password: str | None = None, home_municipality_id: int,
                  max_travel_km: int = 100, max_hours_per_month: int = 24,
                  is_active: bool = True, languages: list[str] | None = None,
                  areas: dict[int, int] | None = None,
                  conflict_municipality_ids: list[int] | None = None,
                  vog_issued_on: date | None = None, vog_expires_on: date | None = None,
                  confidentiality_signed_on: date | None = None,
                  confidentiality_expires_on: date | None = None) -> Expert:
    """Add an expert profile, with a new user account or linked to an existing user."""
    languages, areas = languages or [], areas or {}
    conflict_municipality_ids = conflict_municipality_ids or []
    dates = {"vog_issued_on": vog_issued_on, "vog_expires_on": vog_expires_on,
             "confidentiality_signed_on": confidentiality_signed_on,
             "confidentiality_expires_on": confidentiality_expires_on}
    _check_profile(home_municipality_id=home_municipality_id, languages=languages, areas=areas,
                   conflict_municipality_ids=conflict_municipality_ids, **dates)
    if account == "existing":
        user = accounts.get_by_email(email)
        if user is None:
            raise _invalid(_l("There is no user with this e-mail address."),
                           email=_l("No user with this e-mail address."))
        if user.expert is not None:
            raise _invalid(_l("This user already has an expert profile."),
                           email=_l("Already an expert."))
        # Never to the actor's own account (accounts.services.grant_role refuses it).
        accounts.grant_role(actor=actor, user=user, role=Role.EXPERT)
    else:
        if not (name or "").strip():
            raise _invalid(_l("Give the expert's name."), name=_l("Enter a name."))
        if not password:
            raise _invalid(_l("Give an initial password."), password=_l("Enter a password."))
        user = accounts.create(actor=actor, email=email, name=name, password=password,
                               roles=[Role.EXPERT])
    expert = Expert(user=user, home_municipality_id=home_municipality_id,
                    max_travel_km=max_travel_km, max_hours_per_month=max_hours_per_month,
                    is_active=is_active, **dates)
    db.session.add(expert)
    db.session.flush()
    _apply_profile(expert, languages=languages, areas=areas,
                   conflict_municipality_ids=conflict_municipality_ids)
    record(actor=actor, action="expert.create", obj=expert,
           details={"user_id": user.id, "account": account})
    return expert


def update_expert(*, actor, expert: Expert, home_municipality_id: int, max_travel_km: int,
                  max_hours_per_month: int, is_active: bool, languages: list[str],
                  areas: dict[int, int], conflict_municipality_ids: list[int],
                  vog_issued_on: date | None = None, vog_expires_on: date | None = None,
                  confidentiality_signed_on: date | None = None,
                  confidentiality_expires_on: date | None = None) -> Expert:
    """Change an expert's profile: areas and levels, languages, limits, conflicts, vetting."""
    dates = {"vog_issued_on": vog_issued_on, "vog_expires_on": vog_expires_on,
             "confidentiality_signed_on": confidentiality_signed_on,
             "confidentiality_expires_on": confidentiality_expires_on}
    _check_profile(home_municipality_id=home_municipality_id, languages=languages, areas=areas,
                   conflict_municipality_ids=conflict_municipality_ids,
                   current_area_ids={e.expertise_area_id for e in expert.expertise}, **dates)
    changed = _apply_profile(expert, languages=languages, areas=areas,
                             conflict_municipality_ids=conflict_municipality_ids,
                             home_municipality_id=home_municipality_id,
                             max_travel_km=max_travel_km, max_hours_per_month=max_hours_per_month,
                             is_active=is_active, **dates)
    if changed:
        record(actor=actor, action="expert.update", obj=expert, details={"fields": changed})
    return expert


# --- Rates -----------------------------------------------------------------------------------


def rate_on(expert: Expert, day: date) -> ExpertRate | None:
    """The rate valid on `day`: the latest one from that day or before."""
    valid = [r for r in expert.rates if r.valid_from <= day]
    return max(valid, key=lambda r: r.valid_from) if valid else None


def hourly_rate_on(expert_id: int, day: date) -> Decimal | None:
    """The hourly rate of the expert valid on `day`, or None without one (one query)."""
    return db.session.scalar(
        select(ExpertRate.hourly_rate)
        .where(ExpertRate.expert_id == expert_id, ExpertRate.valid_from <= day)
        .order_by(ExpertRate.valid_from.desc()).limit(1))


def add_rate(*, actor, expert: Expert, valid_from: date, hourly_rate: Decimal,
             today: date | None = None) -> ExpertRate:
    """Add an hourly rate from a date on; never before today once a rate exists (no history rewrite)."""
    today = today or today_local()
    if hourly_rate < 0:
        raise _invalid(_l("The rate cannot be negative."), hourly_rate=_l("Enter 0 or more."))
    if valid_from < today and expert.rates:
        raise _invalid(_l("A new rate applies from today or later; past rates are never changed."),
                       valid_from=_l("Choose today or a later date."))
    if any(r.valid_from == valid_from for r in expert.rates):
        raise _invalid(_l("There is already a rate from this date."),
                       valid_from=_l("Already a rate from this date."))
    rate = ExpertRate(expert_id=expert.id, valid_from=valid_from,
                      hourly_rate=Decimal(hourly_rate).quantize(Decimal("0.01")))
    expert.rates.append(rate)
    db.session.flush()
    record(actor=actor, action="expert.rate_add", obj=expert,
           details={"rate_id": rate.id, "valid_from": valid_from.isoformat(),
                    "hourly_rate": str(rate.hourly_rate)})
    return rate


def get_rate(expert: Expert, rate_id: int) -> ExpertRate:
    """One of the expert's rates, or NotFound."""
    rate = db.session.get(ExpertRate, rate_id)
    if rate is None or rate.expert_id != expert.id:
        raise NotFound(_("Rate not found."))
    return rate


def _refuse_past_rate(rate: ExpertRate, today: date) -> None:
    if rate.valid_from < today:
        raise Conflict(_("A rate that has already applied cannot be changed or removed; "
                              "add a new rate from a future date instead."))


def update_rate(*, actor, rate: ExpertRate, hourly_rate: Decimal,
                today: date | None = None) -> ExpertRate:
    """Change the amount of a rate that has not applied yet (Conflict for a past rate)."""
    _refuse_past_rate(rate, today or today_local())
    if hourly_rate < 0:
        raise _invalid(_l("The rate cannot be negative."), hourly_rate=_l("Enter 0 or more."))
    rate.hourly_rate = Decimal(hourly_rate).quantize(Decimal("0.01"))
    db.session.flush()
    record(actor=actor, action="expert.rate_update", object_type="expert",
           object_id=rate.expert_id, details={"rate_id": rate.id,
                                              "hourly_rate": str(rate.hourly_rate)})
    return rate


def delete_rate(*, actor, expert: Expert, rate: ExpertRate, today: date | None = None) -> None:
    """Remove a rate that has not applied yet (Conflict for a past rate)."""
    _refuse_past_rate(rate, today or today_local())
    details = {"rate_id": rate.id, "valid_from": rate.valid_from.isoformat()}
    expert.rates.remove(rate)
    db.session.flush()
    record(actor=actor, action="expert.rate_delete", obj=expert, details=details)


# --- Vetting ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class VettingNotice:
    """A vetting document of an active expert that has lapsed or lapses soon (or is missing)."""

    expert: Expert
    document: str  # "vog" or "confidentiality"
    expires_on: date | None
    lapsed: bool


def vetting_notices(*, today: date | None = None,
                    within_days: int = VETTING_NOTICE_DAYS) -> list[VettingNotice]:
    """Active experts whose VOG or confidentiality declaration lapses within `within_days` or has."""
    today = today or today_local()
    limit = today + timedelta(days=within_days)
    experts = db.session.scalars(
        select(Expert).join(Expert.user).options(selectinload(Expert.user))
        .where(Expert.is_active.is_(True))
        .where(or_(Expert.vog_expires_on.is_(None), Expert.vog_expires_on <= limit,
                   Expert.confidentiality_expires_on.is_(None),
                   Expert.confidentiality_expires_on <= limit))
        .order_by(func.lower(User.name), Expert.id))
    notices = []
    for expert in experts:
        for document, expires_on in (("vog", expert.vog_expires_on),
                                     ("confidentiality", expert.confidentiality_expires_on)):
            if expires_on is None or expires_on <= limit:
                notices.append(VettingNotice(expert=expert, document=document,
                                             expires_on=expires_on,
                                             lapsed=expires_on is None or expires_on < today))
    return notices


# --- Availability (the expert themself) ------------------------------------------------------

WEEKDAYS = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
            _l("Saturday"), _l("Sunday"))


def clock(minute: int) -> str:
    """Minutes after midnight as HH:MM."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def windows_of(expert: Expert) -> list[AvailabilityWindow]:
    """The expert's weekly windows by weekday and start."""
    return list(db.session.scalars(
        select(AvailabilityWindow).where(AvailabilityWindow.expert_id == expert.id)
        .order_by(AvailabilityWindow.weekday, AvailabilityWindow.start_minute)))


def absences_of(expert: Expert, *, since: datetime | None = None) -> list[Absence]:
    """The expert's absences that end after `since` (default: all), by start."""
    query = select(Absence).where(Absence.expert_id == expert.id)
    if since is not None:
        query = query.where(Absence.ends_at > since)
    return list(db.session.scalars(query.order_by(Absence.starts_at, Absence.id)))


def busy_of(expert: Expert, *, since: datetime | None = None) -> list[BusyInterval]:
    """The expert's busy intervals from their own calendar that end after `since`."""
    query = select(BusyInterval).where(BusyInterval.expert_id == expert.id)
    if since is not None:
        query = query.where(BusyInterval.ends_at > since)
    return list(db.session.scalars(query.order_by(BusyInterval.starts_at, BusyInterval.id)))


def _check_window(weekday: int, start_minute: int, end_minute: int, field: str) -> None:
    if weekday not in range(7):
        raise _invalid(_l("Choose a day of the week."), **{field: _l("Choose a day of the week.")})
    if not (0 <= start_minute < end_minute <= 1440):
        raise _invalid(_l("The end time must come after the start time."),
                       **{field: _l("The end time must come after the start time.")})


def _overlap_error(weekday: int, a: tuple[int, int], b: tuple[int, int],
                   field: str) -> ValidationFailed:
    message = _l("%(day)s %(a)s overlaps %(b)s; remove one window or choose times that do "
                 "not overlap.", day=WEEKDAYS[weekday],
                 a=f"{clock(a[0])}–{clock(a[1])}", b=f"{clock(b[0])}–{clock(b[1])}")
    return _invalid(message, **{field: message})


def add_window(*, actor, expert: Expert, weekday: int, start_minute: int,
               end_minute: int) -> AvailabilityWindow:
    """Add a weekly window; one that overlaps another on the same day is refused."""
    _check_window(weekday, start_minute, end_minute, "start")
    for other in windows_of(expert):
        if (other.weekday == weekday and start_minute < other.end_minute
                and other.start_minute < end_minute):
            raise _overlap_error(weekday, (start_minute, end_minute),
                                 (other.start_minute, other.end_minute), "start")
    window = AvailabilityWindow(expert_id=expert.id, weekday=weekday,
                                start_minute=start_minute, end_minute=end_minute)
    db.session.add(window)
    db.session.flush()
    record(actor=actor, action="expert.window_add", obj=expert,
           details={"weekday": weekday, "start": clock(start_minute), "end": clock(end_minute)})
    return window


def get_own_window(expert: Expert, window_id: int) -> AvailabilityWindow:
    """One of the expert's own windows (NotFound for anyone else's)."""
    window = db.session.get(AvailabilityWindow, window_id)
    if window is None or window.expert_id != expert.id:
        raise NotFound(_("Availability window not found."))
    return window


def get_own_absence(expert: Expert, absence_id: int) -> Absence:
    """One of the expert's own absences (NotFound for anyone else's)."""
    absence = db.session.get(Absence, absence_id)
    if absence is None or absence.expert_id != expert.id:
        raise NotFound(_("Absence not found."))
    return absence


def remove_window(*, actor, expert: Expert, window_id: int) -> None:
    """Remove one of the expert's own windows (NotFound for anyone else's)."""
    window = db.session.get(AvailabilityWindow, window_id)
    if window is None or window.expert_id != expert.id:
        raise NotFound(_("Availability window not found."))
    details = {"weekday": window.weekday, "start": clock(window.start_minute),
               "end": clock(window.end_minute)}
    db.session.delete(window)
    db.session.flush()
    record(actor=actor, action="expert.window_remove", obj=expert, details=details)


def _check_absence(starts_at: datetime, ends_at: datetime, field: str) -> None:
    if ends_at <= starts_at:
        raise _invalid(_l("The end of an absence must come after its start."),
                       **{field: _l("The end must come after the start.")})


def add_absence(*, actor, expert: Expert, starts_at: datetime, ends_at: datetime,
                reason: str | None = None) -> Absence:
    """Add an absence (aware times); the end must come after the start."""
    _check_absence(starts_at, ends_at, "ends_at")
    reason = (reason or "").strip() or None
    # The coordinator reads it: no personal data.
    check_privacy(limits={"reason": MAX_ABSENCE_REASON_LENGTH}, reason=reason)
    absence = Absence(expert_id=expert.id, starts_at=starts_at, ends_at=ends_at, reason=reason)
    db.session.add(absence)
    db.session.flush()
    record(actor=actor, action="expert.absence_add", obj=expert,
           details={"absence_id": absence.id})
    return absence


def purge_absence_reasons(*, now: datetime | None = None, months: int | None = None) -> int:
    """Erase the reasons of absences that ended more than RETENTION_MONTHS ago (the times
    stay); returns how many were erased (flushes, never commits). One audit event records
    the count, never which or what."""
    now = now or utcnow()
    months = int(current_app.config.get("RETENTION_MONTHS", 12)) if months is None else months
    cutoff = now - relativedelta(months=months)
    erased = db.session.execute(
        update(Absence).where(Absence.ends_at <= cutoff, Absence.reason.is_not(None))
        .values(reason=None).execution_options(synchronize_session=False)).rowcount
    if erased:
        record(actor=None, action="absence.purge", object_type="absence",
               details={"count": erased, "retention_months": months})
    return erased


def remove_absence(*, actor, expert: Expert, absence_id: int) -> None:
    """Remove one of the expert's own absences (NotFound for anyone else's)."""
    absence = db.session.get(Absence, absence_id)
    if absence is None or absence.expert_id != expert.id:
        raise NotFound(_("Absence not found."))
    db.session.delete(absence)
    db.session.flush()
    record(actor=actor, action="expert.absence_remove", obj=expert,
           details={"absence_id": absence_id})


def replace_availability(*, actor, expert: Expert, windows: list[dict],
                         absences: list[dict]) -> None:
    """Replace all weekly windows and absences with the given lists (all or nothing)."""
    by_day: dict[int, list[tuple[int, int, int]]] = {}
    for index, w in enumerate(windows):
        field = f"windows.{index}"
        _check_window(w["weekday"], w["start_minute"], w["end_minute"], field)
        for start, end, _other in by_day.get(w["weekday"], []):
            if w["start_minute"] < end and start < w["end_minute"]:
                raise _overlap_error(w["weekday"], (w["start_minute"], w["end_minute"]),
                                     (start, end), field)
        by_day.setdefault(w["weekday"], []).append((w["start_minute"], w["end_minute"], index))
    for index, a in enumerate(absences):
        _check_absence(a["starts_at"], a["ends_at"], f"absences.{index}")
    check_privacy(limits={f"absences.{index}": MAX_ABSENCE_REASON_LENGTH
                          for index in range(len(absences))},
                  **{f"absences.{index}": (a.get("reason") or "").strip() or None
                     for index, a in enumerate(absences)})
    db.session.execute(delete(AvailabilityWindow).where(AvailabilityWindow.expert_id == expert.id))
    db.session.execute(delete(Absence).where(Absence.expert_id == expert.id))
    db.session.add_all(AvailabilityWindow(expert_id=expert.id, weekday=w["weekday"],
                                          start_minute=w["start_minute"],
                                          end_minute=w["end_minute"]) for w in windows)
    db.session.add_all(Absence(expert_id=expert.id, starts_at=a["starts_at"],
                               ends_at=a["ends_at"],
                               reason=(a.get("reason") or "").strip() or None)
                       for a in absences)
    db.session.flush()
    record(actor=actor, action="expert.availability_replace", obj=expert,
           details={"windows": len(windows), "absences": len(absences)})


# --- The expert's own busy calendar ----------------------------------------------------------

MAX_BUSY_INTERVALS = 5000


def _feed_error(reason) -> ValidationFailed:
    return ValidationFailed(_("The calendar could not be read: %(reason)s",
                                   reason=str(reason)),
                            fields={"busy_ics_url": [str(reason)]})


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:  # floating time: the expert's wall clock
        value = value.replace(tzinfo=LOCAL_TZ)
    return value.astimezone(timezone.utc)


def busy_intervals_from_ics(data: bytes, *, start: datetime, end: datetime,
                            budget: ExpansionBudget) -> list[tuple[datetime, datetime]]:
    """The busy times (UTC) of an ICS feed between `start` and `end`, merged where they overlap.

    Transparent and cancelled events are free time; an all-day event is busy for its whole
    local day(s). Only times are read: never a title, description or location.
    Raises ValidationFailed (field busy_ics_url) for a malformed feed, or one whose
    recurrences exceed `budget` (every occurrence walked counts, free time too).
    """
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except Exception as exc:  # noqa: BLE001 - any parser failure means an unreadable feed
        raise _feed_error(_l("it is not an iCalendar file")) from exc
    if getattr(calendar, "name", None) != "VCALENDAR":
        raise _feed_error(_l("it holds no VCALENDAR"))
    found: list[tuple[datetime, datetime]] = []
    try:
        bound_recurrences(calendar, start=start, end=end, budget=budget)
        for event in recurring_ical_events.of(calendar).between(start, end):
            budget.tick()
            if str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
                continue
            if str(event.get("STATUS", "")).upper() == "CANCELLED":
                continue
            raw_start = event["DTSTART"].dt
            raw_end = event.get("DTEND")
            raw_end = raw_end.dt if raw_end is not None else None
            if not isinstance(raw_start, datetime):  # all-day
                last = raw_end if isinstance(raw_end, date) and not isinstance(
                    raw_end, datetime) and raw_end > raw_start else raw_start + timedelta(days=1)
                starts_at = local_day_bounds(raw_start)[0]
                ends_at = local_day_bounds(last - timedelta(days=1))[1]
            else:
                starts_at = _utc(raw_start)
                ends_at = _utc(raw_end) if isinstance(raw_end, datetime) else starts_at
            if ends_at <= starts_at or ends_at <= start or starts_at >= end:
                continue
            found.append((starts_at, ends_at))
            if len(found) > MAX_BUSY_INTERVALS:
                raise _feed_error(_l("more than %(n)d busy times within the horizon",
                                     n=MAX_BUSY_INTERVALS))
    except ValidationFailed:
        raise
    except CalendarRefused as exc:
        raise _feed_error(exc.reason) from exc
    except Exception as exc:  # noqa: BLE001 - malformed rules, dates or time zones
        raise _feed_error(_l("its events could not be read")) from exc
    merged: list[tuple[datetime, datetime]] = []
    for starts_at, ends_at in sorted(found):
        if merged and starts_at <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], ends_at))
        else:
            merged.append((starts_at, ends_at))
    return merged


def read_busy_calendar(url: str, *, now: datetime) -> list[tuple[datetime, datetime]]:
    """Fetch the busy calendar at `url` and read its busy times over the horizon from `now`.

    Touches no database: callers read the calendar before they write anything, so no
    request or job holds the database's write lock while a calendar is fetched or expanded.
    """
    horizon = timedelta(days=current_app.config.get("EXPERT_BUSY_HORIZON_DAYS", 180))
    data = fetch_ics(url, field="busy_ics_url")
    return busy_intervals_from_ics(data, start=now, end=now + horizon,
                                   budget=expansion_budget(current_app.config))


def _store_busy(*, actor, expert: Expert, intervals, now: datetime) -> int:
    """Replace the expert's busy intervals (a short write after the calendar was read)."""
    db.session.execute(delete(BusyInterval).where(BusyInterval.expert_id == expert.id))
    db.session.add_all(BusyInterval(expert_id=expert.id, starts_at=s, ends_at=e)
                       for s, e in intervals)
    expert.busy_refreshed_at = now
    db.session.flush()
    record(actor=actor, action="expert.busy_refresh", obj=expert,
           details={"intervals": len(intervals)})
    return len(intervals)


def refresh_busy_calendar(*, actor, expert: Expert, now: datetime | None = None) -> int:
    """Fetch the expert's busy calendar and replace their busy intervals; the count stored.

    A failing address or malformed feed raises ValidationFailed and keeps the last good data.
    """
    if not expert.busy_ics_url:
        raise _invalid(_l("There is no calendar address to refresh."),
                       busy_ics_url=_l("Enter the address of your calendar."))
    now = now or utcnow()
    intervals = read_busy_calendar(expert.busy_ics_url, now=now)
    return _store_busy(actor=actor, expert=expert, intervals=intervals, now=now)


def set_busy_calendar(*, actor, expert: Expert, url: str | None,
                      now: datetime | None = None) -> int:
    """Save (after fetching it) the expert's busy calendar address, or remove it; the count."""
    url = (url or "").strip() or None
    if url is None:
        expert.busy_ics_url = None
        expert.busy_refreshed_at = None
        db.session.execute(delete(BusyInterval).where(BusyInterval.expert_id == expert.id))
        db.session.flush()
        record(actor=actor, action="expert.busy_calendar_remove", obj=expert)
        return 0
    now = now or utcnow()
    intervals = read_busy_calendar(url, now=now)  # before anything is written
    expert.busy_ics_url = url
    db.session.flush()
    record(actor=actor, action="expert.busy_calendar_set", obj=expert)
    return _store_busy(actor=actor, expert=expert, intervals=intervals, now=now)
