"""Read-side queries for municipalities, case tables and sessions."""

from __future__ import annotations

from sqlalchemy import or_, select

from duidingspool.casetables.models import Municipality
from duidingspool.extensions import db


def find_municipality(name_or_code: str) -> Municipality | None:
    """A municipality by exact name (case-insensitive) or CBS code."""
    value = name_or_code.strip()
    return db.session.scalar(
        select(Municipality).where(
            or_(Municipality.cbs_code == value.upper(),
                db.func.lower(Municipality.name) == value.lower())
        )
    )


def visible_case_tables(actor):
    """A select of the case tables `actor` may see: requesters only their municipality's."""
    from duidingspool.accounts.models import Role
    from duidingspool.casetables.models import CaseTable, case_table_municipality

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
    return query.where(db.false())


def get_case_table_for(actor, case_table_id: int):
    """The case table if `actor` may see it; NotFound otherwise (never reveal it exists)."""
    from duidingspool.casetables.models import CaseTable
    from duidingspool.errors import NotFound

    table = db.session.scalar(visible_case_tables(actor).where(CaseTable.id == case_table_id))
    if table is None:
        raise NotFound("Case table not found.")
    return table
