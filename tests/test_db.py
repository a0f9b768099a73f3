"""Column types and database rules that every feature relies on."""

from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from duidingspool.budget.models import Budget
from duidingspool.casetables.models import Sitting
from duidingspool.extensions import db
from tests import factories as f


def test_foreign_keys_are_enforced(app):
    start = datetime(2026, 12, 1, 12, tzinfo=timezone.utc)
    db.session.add(Sitting(case_table_id=424242, starts_at=start, ends_at=start.replace(hour=14),
                           origin_uid="x", origin_start=start))

    with pytest.raises(IntegrityError):
        db.session.flush()


def test_deleting_a_referenced_row_is_refused(app):
    table = f.case_table()
    f.sitting(table)
    db.session.commit()

    with pytest.raises(IntegrityError):
        db.session.execute(text("DELETE FROM municipality WHERE id = :id"),
                           {"id": table.host_municipality_id})
        db.session.flush()
    db.session.rollback()


def test_naive_datetimes_are_refused(app):
    table = f.case_table()
    naive = datetime(2026, 12, 1, 12)
    db.session.add(Sitting(case_table=table, starts_at=naive, ends_at=naive, origin_uid="x",
                           origin_start=naive))

    with pytest.raises(Exception, match="naive datetime"):
        db.session.flush()
    db.session.rollback()


def test_datetimes_come_back_aware_in_utc(app):
    table = f.case_table()
    sitting = f.sitting(table, starts_at=datetime(2026, 12, 1, 13, tzinfo=timezone.utc))
    db.session.commit()
    db.session.expire_all()

    assert db.session.get(Sitting, sitting.id).starts_at == datetime(2026, 12, 1, 13,
                                                                     tzinfo=timezone.utc)
    assert db.session.get(Sitting, sitting.id).starts_at.tzinfo is not None


def test_money_is_exact_to_the_cent(app):
    db.session.add(Budget(year=2026, amount=Decimal("125000.005")))
    db.session.commit()
    db.session.expire_all()

    amount = db.session.scalar(select(Budget.amount))
    assert amount == Decimal("125000.01")
    assert db.session.scalar(select(db.func.sum(Budget.amount))) == Decimal("125000.01")
