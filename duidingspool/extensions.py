"""Flask extensions, created unbound and initialised in create_app; the unit of work."""

from collections.abc import Iterator
from contextlib import contextmanager

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from duidingspool.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


def read_only(view):
    """Mark a view that never writes: the request then opens no unit of work (no ORM session
    is begun and committed for it). For hot read paths such as the calendar feed, which
    answers most polls from one plain connection."""
    view.read_only = True
    return view


# PostgreSQL's serialization_failure and deadlock_detected: the transaction was aborted
# only because of another one running at the same time; running it again succeeds.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})


def retryable_conflict(exc: BaseException) -> bool:
    """True for a database error that a second run of the same unit of work can avoid."""
    return getattr(getattr(exc, "orig", None), "sqlstate", None) in RETRYABLE_SQLSTATES


@contextmanager
def unit_of_work() -> Iterator[None]:
    """One unit of work outside a request (a job's item, a CLI command): commit it when the
    block ends normally, roll it back when it raises.

    Inside a request the app's `dispatch_request` is the unit of work; services only flush.
    """
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
