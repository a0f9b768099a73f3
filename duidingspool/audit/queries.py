"""Searching the audit trail: by user, object and period, newest first."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, func, select

from duidingspool.accounts.models import User
from duidingspool.audit.models import AuditEvent
from duidingspool.extensions import db
from duidingspool.timeutil import local_day_bounds

PER_PAGE = 50


@dataclass
class AuditPage:
    events: list[tuple[AuditEvent, User | None]]
    page: int
    total: int
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _filtered(statement: Select, *, user_id: int | None = None, object_type: str | None = None,
              object_id: int | None = None, date_from: date | None = None,
              date_to: date | None = None, **_ignored) -> Select:
    if user_id is not None:
        statement = statement.where(AuditEvent.actor_id == user_id)
    if object_type:
        statement = statement.where(AuditEvent.object_type == object_type)
    if object_id is not None:
        statement = statement.where(AuditEvent.object_id == object_id)
    if date_from is not None:
        statement = statement.where(AuditEvent.occurred_at >= local_day_bounds(date_from)[0])
    if date_to is not None:
        statement = statement.where(AuditEvent.occurred_at < local_day_bounds(date_to)[1])
    return statement


def _rows(filters: dict) -> Select:
    return (_filtered(select(AuditEvent, User).outerjoin(User, User.id == AuditEvent.actor_id),
                      **filters)
            .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()))


def count_events(filters: dict) -> int:
    """How many events match `filters`."""
    return db.session.scalar(_filtered(select(func.count(AuditEvent.id)), **filters))


def search(filters: dict) -> AuditPage:
    """One page of the events matching `filters` (see AuditFilterSchema), newest first."""
    page = filters.get("page") or 1
    total = count_events(filters)
    rows = db.session.execute(
        _rows(filters).limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    return AuditPage(events=[(event, user) for event, user in rows], page=page, total=total)


def iter_events(filters: dict, *, chunk: int = 1000) -> Iterator[tuple[AuditEvent, User | None]]:
    """Every event matching `filters`, newest first, fetched in chunks (for the export)."""
    result = db.session.execute(_rows(filters).execution_options(yield_per=chunk))
    for event, user in result:
        yield event, user


def object_types() -> list[str]:
    """The object types present in the trail, for the filter's choice list."""
    return list(db.session.scalars(
        select(AuditEvent.object_type).distinct().order_by(AuditEvent.object_type)))


def users() -> list[User]:
    """Every user, by name, for the filter's choice list."""
    return list(db.session.scalars(select(User).order_by(User.name, User.id)))
