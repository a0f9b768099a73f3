"""The pool's yearly budget, its allocations per safety region and threshold warnings."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Integer, Numeric, UniqueConstraint
from sqlalchemy.ext.associationproxy import AssociationProxy, association_proxy
from sqlalchemy.orm import Mapped, mapped_column, relationship

from duidingspool.db import Money, UTCDateTime, utcnow
from duidingspool.extensions import db

# The years a budget can be set for (the database checks the same range).
FIRST_YEAR, LAST_YEAR = 2000, 2100
# What a new year's budget form proposes.
DEFAULT_KM_RATE = Decimal("0.23")
DEFAULT_THRESHOLDS = (75, 90, 100)
# A warning threshold is a whole percentage of the budget in this range.
THRESHOLD_RANGE = (1, 1000)


class Budget(db.Model):
    __tablename__ = "budget"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    # Kilometre allowance for that year, in euros per km.
    km_rate: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=DEFAULT_KM_RATE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    allocations: Mapped[list[BudgetAllocation]] = relationship(
        back_populates="budget", cascade="all, delete-orphan"
    )
    threshold_rows: Mapped[list[BudgetThreshold]] = relationship(
        cascade="all, delete-orphan", order_by="BudgetThreshold.percent"
    )
    # The warning thresholds in percent, ascending, e.g. [75, 90, 100].
    thresholds: AssociationProxy[list[int]] = association_proxy(
        "threshold_rows", "percent", creator=lambda percent: BudgetThreshold(percent=percent))

    __table_args__ = (
        CheckConstraint(f"year BETWEEN {FIRST_YEAR} AND {LAST_YEAR}", name="year"),
        CheckConstraint("amount >= 0", name="amount"),
        CheckConstraint("km_rate >= 0", name="km_rate"),
    )


class BudgetThreshold(db.Model):
    """One warning threshold of a budget: a percentage of spent plus committed."""

    __tablename__ = "budget_threshold"

    budget_id: Mapped[int] = mapped_column(ForeignKey("budget.id", ondelete="CASCADE"),
                                           primary_key=True)
    percent: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)

    __table_args__ = (
        CheckConstraint(f"percent BETWEEN {THRESHOLD_RANGE[0]} AND {THRESHOLD_RANGE[1]}",
                        name="percent"),
    )


class BudgetAllocation(db.Model):
    """The part of a year's budget set aside for one safety region."""

    __tablename__ = "budget_allocation"

    id: Mapped[int] = mapped_column(primary_key=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("budget.id", ondelete="CASCADE"))
    safety_region_id: Mapped[int] = mapped_column(
        ForeignKey("safety_region.id", ondelete="RESTRICT")
    )
    amount: Mapped[Decimal] = mapped_column(Money)

    budget: Mapped[Budget] = relationship(back_populates="allocations")

    __table_args__ = (
        UniqueConstraint("budget_id", "safety_region_id"),
        CheckConstraint("amount >= 0", name="amount"),
    )


class BudgetWarning(db.Model):
    """A threshold warning raised once per budget (or allocation) and threshold."""

    __tablename__ = "budget_warning"

    id: Mapped[int] = mapped_column(primary_key=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("budget.id", ondelete="CASCADE"))
    # 0 stands for the whole year's budget, else the allocation's id; a plain integer so
    # the unique constraint also holds for the whole-budget row (NULLs would not collide).
    allocation_key: Mapped[int] = mapped_column(Integer, default=0)
    threshold: Mapped[int] = mapped_column(Integer)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("budget_id", "allocation_key", "threshold"),
        CheckConstraint("threshold BETWEEN 1 AND 1000", name="threshold"),
    )
