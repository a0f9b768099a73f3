"""A priced world: an expert with a rate change on 1 July 2026, a 2026 budget, bookings."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from duidingspool.accounts.models import Role
from duidingspool.bookings.models import Booking, BookingStatus, Offer, OfferStatus
from duidingspool.budget.models import Budget
from duidingspool.experts.models import ExpertRate
from duidingspool.extensions import db
from duidingspool.hours.models import HourLine
from duidingspool.timeutil import local_to_utc
from tests import factories as f


class Priced:
    """Rates 80.00 from 1 Jan 2026 and 95.50 from 1 Jul 2026; budget 2026 with km 0.23."""

    def __init__(self, *, amount: str = "10000.00", km_rate: str = "0.23", locale="en"):
        self.town = f.municipality()
        self.requester = f.user(Role.REQUESTER, municipality_obj=self.town, locale=locale)
        self.coordinator = f.user(Role.COORDINATOR, locale=locale)
        self.table = f.case_table(municipalities=[self.town])
        self.area = f.expertise_area()
        self.expert = self.new_expert()
        self.budget = Budget(year=2026, amount=Decimal(amount), km_rate=Decimal(km_rate),
                             thresholds=[75, 90, 100])
        db.session.add(self.budget)
        db.session.flush()

    def new_expert(self, rates=(("2026-01-01", "80.00"), ("2026-07-01", "95.50"))):
        expert = f.expert(user=f.user(Role.EXPERT, locale="en"), home_municipality=self.town)
        for valid_from, rate in rates:
            db.session.add(ExpertRate(expert_id=expert.id,
                                      valid_from=date.fromisoformat(valid_from),
                                      hourly_rate=Decimal(rate)))
        db.session.flush()
        return expert

    def booking(self, local_start: str, *, expert=None, minutes: int = 180,
                status=BookingStatus.CONFIRMED, town=None) -> Booking:
        """A booking of a session starting at `local_start` (Amsterdam wall time)."""
        expert = expert or self.expert
        starts_at = local_to_utc(datetime.fromisoformat(local_start))
        table = self.table if town is None else f.case_table(municipalities=[town])
        requester = self.requester if town is None else f.user(Role.REQUESTER, municipality_obj=town)
        session = f.sitting(table, starts_at=starts_at, ends_at=starts_at + timedelta(hours=2))
        referral = f.referral(requester=requester, on=session, areas=[self.area],
                              estimated_minutes=minutes, status="booked",
                              question="Vraag over online uitingen van Jan Modaal",
                              case_code="GEHEIM-CODE-42")
        now = datetime.now(timezone.utc)
        offer = Offer(referral_id=referral.id, expert_id=expert.id,
                      status=OfferStatus.ACCEPTED, offered_at=now,
                      expires_at=now + timedelta(days=1), created_by_id=self.coordinator.id)
        db.session.add(offer)
        db.session.flush()
        booking = Booking(referral_id=referral.id, offer_id=offer.id, expert_id=expert.id,
                          sitting_id=session.id, starts_at=starts_at,
                          ends_at=starts_at + timedelta(hours=2), status=status,
                          estimated_minutes=minutes, calendar_uid=secrets.token_hex(16),
                          **({"case_table_id": referral.case_table_id}
                             if hasattr(Booking, "case_table_id") else {}),
                          cancelled_at=now if status == BookingStatus.CANCELLED else None)
        db.session.add(booking)
        db.session.flush()
        return booking

    def line(self, booking, *, minutes: int, status: str = "approved", category="attendance",
             amount: str | None = None, kilometres=None) -> HourLine:
        """A line written straight to the database with a given amount."""
        line = HourLine(booking_id=booking.id, category=category, minutes=minutes,
                        status=status, kilometres=kilometres,
                        amount=Decimal(amount) if amount is not None else None,
                        reject_reason="x" if status == "rejected" else None)
        db.session.add(line)
        db.session.flush()
        return line
