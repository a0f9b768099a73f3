"""Declarative base, naming convention, the column types every model uses, and the local date
of a UTC column in SQL."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Date,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Numeric,
    String,
    any_,
    bindparam,
    event,
    func,
    literal_column,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import TypeDecorator

from duidingspool import timeutil

# Predictable constraint names make migrations reviewable and portable.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

CENT = Decimal("0.01")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timezone-aware datetime, stored in UTC; naive datetimes are refused.

    PostgreSQL keeps `timestamptz`; SQLite keeps the UTC wall time as text, so that text
    order is time order.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"UTCDateTime needs a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def to_money(value) -> Decimal:
    """A Decimal rounded to whole cents (half up, as invoices do)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


class Money(TypeDecorator):
    """An amount in euros as Decimal, exact to the cent.

    PostgreSQL stores NUMERIC(12, 2). SQLite has no exact decimal type, so there the
    amount is stored as integer cents, which keeps SUM() exact too.
    """

    impl = Numeric(12, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Integer())
        return dialect.type_descriptor(Numeric(12, 2, asdecimal=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        amount = to_money(value)
        if dialect.name == "sqlite":
            return int(amount * 100)
        return amount

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if dialect.name == "sqlite":
            return to_money(Decimal(int(value)) / 100)
        return to_money(value)


def one_of(column: str, values) -> str:
    """SQL for a CHECK that `column` holds one of `values` (enum members or strings)."""
    quoted = ", ".join(f"'{getattr(v, 'value', v)}'" for v in values)
    return f"{column} IN ({quoted})"


# Per SQLite connection: check foreign keys (off unless asked for); a 64 MiB page cache,
# memory-mapped reads and in-memory sort space, which matter for the year report's
# aggregates over hundreds of thousands of hour lines; and let the schema's triggers call
# the app's local_date() (below), which SQLite refuses when trusted_schema is off, as some
# builds have it. The app opens only its own database.
_SQLITE_PRAGMAS = (
    "PRAGMA foreign_keys = ON",
    "PRAGMA cache_size = -65536",
    "PRAGMA mmap_size = 268435456",
    "PRAGMA temp_store = MEMORY",
    "PRAGMA trusted_schema = ON",
)


@event.listens_for(Engine, "connect")
def _configure_sqlite_connection(dbapi_connection, connection_record):
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        for pragma in _SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()
        # SQLite has no time zone database: its local_date() is timeutil.local_date itself,
        # on every connection, so migrations (run through this engine) and triggers have it.
        dbapi_connection.create_function("local_date", 1, _sqlite_local_date,
                                         deterministic=True)


# A trigger asks for the year and the month of one start, and for every line of a booking:
# the cache answers the repeats (a pure function of the text, so caching is safe).
@lru_cache(maxsize=8192)
def _sqlite_local_date(stored: str | None) -> str | None:
    """SQLite's local_date(): the Europe/Amsterdam date ('YYYY-MM-DD') of a UTC instant as
    SQLite holds it (UTCDateTime's UTC wall time, 'YYYY-MM-DD HH:MM:SS.ffffff')."""
    if stored is None:
        return None
    instant = datetime.fromisoformat(stored)
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=timezone.utc)
    return timeutil.local_date(instant).isoformat()


class local_date(FunctionElement[date]):  # noqa: N801  (reads like the SQL function it renders)
    """SQL: the Europe/Amsterdam calendar date of a UTC datetime column, as timeutil.local_date
    defines it. PostgreSQL converts with its time zone database; SQLite calls
    timeutil.local_date itself (registered on every connection as local_date())."""

    type = Date()
    inherit_cache = True
    name = "local_date"


class local_year(FunctionElement[int]):  # noqa: N801
    """SQL: the Europe/Amsterdam year (an integer) of a UTC datetime column; the same SQL as
    the tally triggers run (migrations 0011 and 0013 on PostgreSQL, 0014 on SQLite)."""

    type = Integer()
    inherit_cache = True
    name = "local_year"


class local_month(FunctionElement[int]):  # noqa: N801
    """SQL: the Europe/Amsterdam month (1-12) of a UTC datetime column; as local_year."""

    type = Integer()
    inherit_cache = True
    name = "local_month"


def _local_date_sql(element, compiler, **kw) -> str:
    column = compiler.process(element.clauses, **kw)
    if compiler.dialect.name == "postgresql":
        return f"CAST(timezone('{timeutil.LOCAL_TZ.key}', {column}) AS DATE)"
    return f"local_date({column})"


@compiles(local_date)
def _compile_local_date(element, compiler, **kw):
    return _local_date_sql(element, compiler, **kw)


@compiles(local_year)
def _compile_local_year(element, compiler, **kw):
    day = _local_date_sql(element, compiler, **kw)
    if compiler.dialect.name == "postgresql":
        return f"CAST(EXTRACT(YEAR FROM {day}) AS INTEGER)"
    return f"CAST(substr({day}, 1, 4) AS INTEGER)"


@compiles(local_month)
def _compile_local_month(element, compiler, **kw):
    day = _local_date_sql(element, compiler, **kw)
    if compiler.dialect.name == "postgresql":
        return f"CAST(EXTRACT(MONTH FROM {day}) AS INTEGER)"
    return f"CAST(substr({day}, 6, 2) AS INTEGER)"


def insert_once(session, model, *, values: dict, unique: list[str]):
    """INSERT ... ON CONFLICT (unique) DO NOTHING; the new row's id, or None if it existed.

    Of two concurrent callers exactly one inserts and neither fails, so no savepoint is
    needed (savepoints are unreliable with pysqlite's own transaction handling).
    """
    from sqlalchemy.dialects.postgresql import insert as postgresql_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    dialect = session.get_bind().dialect.name
    insert = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}[dialect]
    return session.execute(
        insert(model).values(**values).on_conflict_do_nothing(index_elements=unique)
        .returning(model.id)
    ).scalar()


def among(session, column, ids) -> ColumnElement[bool]:
    """`column IN ids` with all ids in one bound parameter: a JSON array read by
    `json_each` on SQLite, an array with `= ANY` on PostgreSQL.

    A plain `IN` binds one parameter per id, which SQLAlchemy renders anew on every
    execution; with hundreds of ids that costs more than the query itself.
    """
    values = [int(value) for value in ids]
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(Integer)))
    return column.in_(
        select(literal_column("value"))
        .select_from(func.json_each(bindparam(None, json.dumps(values), type_=String)))
    )
