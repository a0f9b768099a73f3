"""Demo data: `duidingspool demo`.

Loading is idempotent: every row is found by its natural key (region code, CBS code,
expertise code, case table name, e-mail address, budget year) and updated, or added when
missing. Existing users keep their password and roles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from duidingspool import demo_data as data
from duidingspool.accounts import services as accounts
from duidingspool.accounts.models import Role, User
from duidingspool.audit.services import record
from duidingspool.budget.models import DEFAULT_THRESHOLDS, Budget
from duidingspool.casetables.models import (
    CaseTable,
    Municipality,
    SafetyRegion,
    ScheduleSource,
    Sitting,
)
from duidingspool.db import utcnow
from duidingspool.errors import DomainError
from duidingspool.experts.models import (
    AvailabilityWindow,
    Expert,
    ExpertConflict,
    ExpertExpertise,
    ExpertiseArea,
    ExpertLanguage,
    ExpertRate,
)
from duidingspool.extensions import db, unit_of_work
from duidingspool.timeutil import local_day_bounds, local_to_utc, to_local

VOG_VALID_YEARS = 3
CONFIDENTIALITY_VALID_YEARS = 2
VOG_LAPSING_IN_DAYS = 45


@dataclass(frozen=True)
class DemoLogin:
    email: str
    name: str
    roles: tuple[str, ...]


@dataclass
class DemoSummary:
    regions: int = 0
    municipalities: int = 0
    expertise_areas: int = 0
    case_tables: int = 0
    sessions_generated: int = 0
    upcoming_sessions: dict[str, int] = field(default_factory=dict)
    users_created: int = 0
    experts: int = 0
    budget_year: int = 0
    budget_amount: Decimal = Decimal("0")
    logins: list[DemoLogin] = field(default_factory=list)


def load_demo(*, now: datetime | None = None) -> DemoSummary:
    """Add or update the demo data; flushes, never commits."""
    from duidingspool.casetables.services import generate_sessions

    now = now or utcnow()
    today = to_local(now).date()
    summary = DemoSummary()

    regions = _load_regions()
    municipalities = _load_municipalities(regions)
    areas = _load_expertise_areas()
    summary.regions = len(regions)
    summary.municipalities = len(municipalities)
    summary.expertise_areas = len(areas)

    for spec in data.CASE_TABLES:
        table = _load_case_table(spec, municipalities, regions, today)
        summary.sessions_generated += generate_sessions(actor=None, case_table=table, now=now)
        summary.upcoming_sessions[table.name] = _count_upcoming(table, today)
    summary.case_tables = len(data.CASE_TABLES)

    for spec in data.STAFF:
        _user, created = _ensure_user(spec.email, spec.name, spec.roles,
                                      municipalities.get(spec.cbs_code))
        summary.users_created += created
        summary.logins.append(DemoLogin(spec.email, spec.name, spec.roles))
    for spec in data.EXPERTS:
        user, created = _ensure_user(spec.email, spec.name, (Role.EXPERT.value,), None)
        summary.users_created += created
        summary.logins.append(DemoLogin(spec.email, spec.name, (Role.EXPERT.value,)))
        _load_expert(spec, user, municipalities, areas, today)
    summary.experts = len(data.EXPERTS)

    budget = _load_budget(today.year)
    summary.budget_year, summary.budget_amount = budget.year, budget.amount

    record(actor=None, action="demo.load", details={
        "regions": summary.regions, "municipalities": summary.municipalities,
        "expertise_areas": summary.expertise_areas, "case_tables": summary.case_tables,
        "sessions_generated": summary.sessions_generated, "users_created": summary.users_created,
        "experts": summary.experts, "budget_year": summary.budget_year,
    })
    return summary


def _upsert(model, key: dict, values: dict):
    """The row of `model` matching `key`, updated to `values`, or a new one; flushes."""
    obj = db.session.scalar(select(model).filter_by(**key))
    if obj is None:
        obj = model(**key)
        db.session.add(obj)
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
    db.session.flush()
    return obj


def _load_regions() -> dict[str, SafetyRegion]:
    return {code: _upsert(SafetyRegion, {"code": code}, {"name": name})
            for code, name in data.SAFETY_REGIONS}


def _load_municipalities(regions: dict[str, SafetyRegion]) -> dict[str, Municipality]:
    found = {}
    for region_code, rows in data.MUNICIPALITIES.items():
        for cbs_code, name, lat, lon in rows:
            found[cbs_code] = _upsert(Municipality, {"cbs_code": cbs_code}, {
                "name": name, "safety_region_id": regions[region_code].id,
                "latitude": Decimal(lat), "longitude": Decimal(lon),
            })
    return found


def _load_expertise_areas() -> dict[str, ExpertiseArea]:
    return {code: _upsert(ExpertiseArea, {"code": code},
                          {"name_nl": name_nl, "name_en": name_en, "is_active": True})
            for code, name_nl, name_en in data.EXPERTISE_AREAS}


def _first_start(spec: data.DemoCaseTable, today: date) -> datetime:
    """An occurrence of the demo rule in the month before `today`, as aware UTC."""
    if "FREQ=MONTHLY" in spec.rrule:  # the second Tuesday of last month
        last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
        day = last_month + timedelta(days=(1 - last_month.weekday()) % 7 + 7)
    else:  # weekly on Thursday: the Thursday three weeks before this week's
        day = today - timedelta(days=(today.weekday() - 3) % 7) - timedelta(weeks=3)
    return local_to_utc(datetime.combine(day, time(spec.start_hour)))


def _load_case_table(spec: data.DemoCaseTable, municipalities: dict[str, Municipality],
                     regions: dict[str, SafetyRegion], today: date) -> CaseTable:
    table = db.session.scalar(select(CaseTable).where(CaseTable.name == spec.name))
    # Keep the rule's start on a rerun: moving it would not change the occurrences.
    keep_start = (table is not None and table.rrule == spec.rrule
                  and table.first_session_start is not None)
    participants = [m for m in municipalities.values()
                    if m.safety_region_id == regions[spec.region_code].id]
    participants.sort(key=lambda m: m.name)
    table = _upsert(CaseTable, {"name": spec.name}, {
        "host_organisation": spec.host_organisation,
        "host_municipality_id": municipalities[spec.host_cbs_code].id,
        "address": spec.address, "contact_email": spec.contact_email,
        "schedule_source": ScheduleSource.RECURRENCE, "rrule": spec.rrule,
        "first_session_start": (table.first_session_start if keep_start
                                else _first_start(spec, today)),
        "duration_minutes": spec.duration_minutes, "is_active": True,
    })
    if {m.id for m in table.municipalities} != {m.id for m in participants}:
        table.municipalities = participants
        db.session.flush()
    return table


def _count_upcoming(table: CaseTable, today: date) -> int:
    start_of_today, _end = local_day_bounds(today)
    return db.session.scalar(select(func.count(Sitting.id)).where(
        Sitting.case_table_id == table.id, Sitting.starts_at >= start_of_today))


def _ensure_user(email: str, name: str, roles: tuple[str, ...],
                 municipality: Municipality | None) -> tuple[User, bool]:
    """The user with this e-mail, left as it is, or a new one with the demo password."""
    user = accounts.get_by_email(email)
    if user is not None:
        return user, False
    user = accounts.create(actor=None, email=email, name=name, password=data.DEMO_PASSWORD,
                           roles=[Role(r) for r in roles],
                           municipality_id=municipality.id if municipality else None)
    return user, True


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _load_expert(spec: data.DemoExpert, user: User, municipalities: dict[str, Municipality],
                 areas: dict[str, ExpertiseArea], today: date) -> Expert:
    if spec.vog_lapses_soon:
        vog_expires = today + timedelta(days=VOG_LAPSING_IN_DAYS)
        vog_issued = _years_later(vog_expires, -VOG_VALID_YEARS)
    else:
        vog_issued = today.replace(month=1, day=1)
        vog_expires = _years_later(vog_issued, VOG_VALID_YEARS)
    signed = today.replace(month=1, day=1)
    expert = _upsert(Expert, {"user_id": user.id}, {
        "home_municipality_id": municipalities[spec.home_cbs_code].id,
        "max_travel_km": spec.max_travel_km, "max_hours_per_month": spec.max_hours_per_month,
        "is_active": True, "vog_issued_on": vog_issued, "vog_expires_on": vog_expires,
        "confidentiality_signed_on": signed,
        "confidentiality_expires_on": _years_later(signed, CONFIDENTIALITY_VALID_YEARS),
    })
    for code, level in spec.areas.items():
        _upsert(ExpertExpertise, {"expert_id": expert.id, "expertise_area_id": areas[code].id},
                {"level": level})
    for language in spec.languages:
        _upsert(ExpertLanguage, {"expert_id": expert.id, "language": language}, {})
    _upsert(ExpertRate, {"expert_id": expert.id, "valid_from": date(today.year, 1, 1)},
            {"hourly_rate": Decimal(spec.hourly_rate)})
    for weekday, start, end in spec.windows:
        _upsert(AvailabilityWindow, {"expert_id": expert.id, "weekday": weekday,
                                     "start_minute": _minutes(start),
                                     "end_minute": _minutes(end)}, {})
    for cbs_code in spec.conflicts:
        _upsert(ExpertConflict, {"expert_id": expert.id,
                                 "municipality_id": municipalities[cbs_code].id}, {})
    return expert


def _load_budget(year: int) -> Budget:
    budget = _upsert(Budget, {"year": year}, {"amount": Decimal(data.BUDGET_AMOUNT),
                                              "km_rate": Decimal(data.BUDGET_KM_RATE)})
    if not budget.thresholds:
        budget.thresholds.extend(DEFAULT_THRESHOLDS)
    return budget


def format_summary(summary: DemoSummary) -> str:
    """The overview and the demo logins as plain text for the terminal."""
    lines = [
        "Demo data loaded:",
        f"  safety regions      {summary.regions}",
        f"  municipalities      {summary.municipalities}",
        f"  expertise areas     {summary.expertise_areas}",
        f"  case tables         {summary.case_tables}",
    ]
    lines += [f"    {name}: {count} sessions from today on"
              for name, count in summary.upcoming_sessions.items()]
    lines += [
        f"  experts             {summary.experts}",
        f"  users created now   {summary.users_created}",
        f"  {'budget ' + str(summary.budget_year):<20}EUR {summary.budget_amount:,.2f}",
        "",
        "Demo logins (every account has the same password):",
    ]
    rows = [("E-mail", "Roles", "Password")] + [
        (login.email, ", ".join(login.roles), data.DEMO_PASSWORD) for login in summary.logins
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for i, row in enumerate(rows):
        lines.append("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if i == 0:
            lines.append("  " + "  ".join("-" * w for w in widths))
    lines += ["", f"Open {data.DEMO_URL} and log in."]
    return "\n".join(lines)


@click.command("demo")
@with_appcontext
def demo_command():
    """Load the demo data (idempotent)."""
    try:
        with unit_of_work():
            summary = load_demo()
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(format_summary(summary))
