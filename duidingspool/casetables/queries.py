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
