"""Read-side queries for municipalities, case tables and sessions."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.orm import selectinload

from duidingspool.accounts.models import Role, User
from duidingspool.casetables.models import (
    CaseTable,
    Municipality,
    SafetyRegion,
    Sitting,
    case_table_municipality,
)
from duidingspool.errors import NotFound
from duidingspool.extensions import db


def find_municipality(name_or_code: str) -> Municipality | None:
    """A municipality by exact name (case-insensitive) or CBS code."""
    value = name_or_code.strip()
    return db.session.scalar(
        select(Municipality).where(
            or_(Municipality.cbs_code == value.upper(),
                func.lower(Municipality.name) == value.lower())
        )
    )


def visible_case_tables(actor: User) -> Select:
    """A select of the case tables `actor` may see: a requester only their municipality's."""
    query = select(CaseTable).order_by(CaseTable.name)
    if actor.has_role(Role.COORDINATOR, Role.ADMIN):
        return query
    if actor.has_role(Role.REQUESTER) and actor.municipality_id is not None:
        return query.where(
            CaseTable.id.in_(
                select(case_table_municipality.c.case_table_id).where(
                    case_table_municipality.c.municipality_id == actor.municipality_id
                )
            )
        )
    return query.where(false())


def get_case_table_for(actor: User, case_table_id: int) -> CaseTable:
    """The case table if `actor` may see it; NotFound otherwise (never reveal it exists)."""
    table = db.session.scalar(visible_case_tables(actor).where(CaseTable.id == case_table_id))
    if table is None:
        raise NotFound(_("Case table not found."))
    return table


def list_regions() -> list[SafetyRegion]:
    """Every safety region, by name."""
    return list(db.session.scalars(select(SafetyRegion).order_by(SafetyRegion.name)))


def list_municipalities() -> list[Municipality]:
    """Every municipality, by name, with its safety region loaded."""
    return list(db.session.scalars(
        select(Municipality).options(selectinload(Municipality.safety_region))
        .order_by(Municipality.name)))


def get_municipality(municipality_id: int) -> Municipality:
    """A municipality by id, or NotFound."""
    municipality = db.session.get(Municipality, municipality_id)
    if municipality is None:
        raise NotFound(_("Municipality not found."))
    return municipality


def list_case_tables_for(actor: User) -> list[CaseTable]:
    """The case tables `actor` may see, by name, with their municipalities loaded."""
    return list(db.session.scalars(visible_case_tables(actor).options(
        selectinload(CaseTable.municipalities), selectinload(CaseTable.host_municipality))))


def sittings_between(case_table: CaseTable, *, start: datetime | None = None,
                     end: datetime | None = None) -> list[Sitting]:
    """The case table's sessions starting in [start, end), by start time (all if open)."""
    query = select(Sitting).where(Sitting.case_table_id == case_table.id)
    if start is not None:
        query = query.where(Sitting.starts_at >= start)
    if end is not None:
        query = query.where(Sitting.starts_at < end)
    return list(db.session.scalars(query.order_by(Sitting.starts_at, Sitting.id)))


def get_sitting(case_table: CaseTable, sitting_id: int) -> Sitting:
    """A session of this case table, or NotFound."""
    sitting = db.session.get(Sitting, sitting_id)
    if sitting is None or sitting.case_table_id != case_table.id:
        raise NotFound(_("Session not found."))
    return sitting
