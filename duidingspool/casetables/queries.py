"""Read-side queries for municipalities, case tables and sessions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, false, func, or_, select

from duidingspool.accounts.models import Role, User
from duidingspool.casetables.models import CaseTable, Municipality, case_table_municipality
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
        raise NotFound(str(_l("Case table not found.")))
    return table
