"""Experts who are eligible unless a test says otherwise, and requests to offer them."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from duidingspool.accounts.models import Role
from duidingspool.bookings.models import Booking, Offer, OfferStatus
from duidingspool.experts.models import (
    AvailabilityWindow,
    ExpertExpertise,
    ExpertLanguage,
    ExpertRate,
)
from duidingspool.extensions import db
from tests import factories as f


def next_weekday_at(hour_utc: int, *, days_ahead: int = 10) -> datetime:
    start = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    return (start + timedelta(days=days_ahead)).replace(hour=hour_utc)


def available_expert(*, areas, level: int = 2, home=None, rate: str = "100.00",
                     languages=("nl",), **kw):
    """An active, vetted expert available all week, with `areas` at `level`."""
    expert = f.expert(home_municipality=home or f.municipality(), **kw)
    for area in areas:
        db.session.add(ExpertExpertise(expert_id=expert.id, expertise_area_id=area.id,
                                       level=level))
    for language in languages:
        db.session.add(ExpertLanguage(expert_id=expert.id, language=language))
    for weekday in range(7):
        db.session.add(AvailabilityWindow(expert_id=expert.id, weekday=weekday,
                                          start_minute=0, end_minute=1440))
    db.session.add(ExpertRate(expert_id=expert.id, valid_from=date(2000, 1, 1),
                              hourly_rate=Decimal(rate)))
    db.session.flush()
    return expert


class World:
    """A municipality with a requester, a case table, an area and a coordinator."""

    def __init__(self):
        self.town = f.municipality()
        self.requester = f.user(Role.REQUESTER, municipality_obj=self.town)
        self.coordinator = f.user(Role.COORDINATOR)
        self.table = f.case_table(municipalities=[self.town])
        self.area = f.expertise_area()

    def request(self, *, starts_at: datetime | None = None, hours: int = 2, **kw):
        starts_at = starts_at or next_weekday_at(12)
        session = f.sitting(self.table, starts_at=starts_at,
                            ends_at=starts_at + timedelta(hours=hours))
        return f.referral(requester=self.requester, on=session, areas=[self.area], **kw)

    def expert(self, **kw):
        return available_expert(areas=[self.area], home=self.town, **kw)


def direct_booking(referral, expert, *, created_by, starts_at=None, minutes=None):
    """A confirmed booking written straight to the database (no service, no checks)."""
    starts_at = starts_at or referral.sitting.starts_at
    ends_at = (starts_at + timedelta(minutes=minutes)) if minutes else referral.sitting.ends_at
    now = datetime.now(timezone.utc)
    offer = Offer(referral_id=referral.id, expert_id=expert.id, status=OfferStatus.ACCEPTED,
                  offered_at=now, expires_at=now + timedelta(days=1), created_by_id=created_by.id)
    db.session.add(offer)
    db.session.flush()
    booking = Booking(referral_id=referral.id, offer_id=offer.id, expert_id=expert.id,
                      sitting_id=referral.sitting_id, starts_at=starts_at, ends_at=ends_at,
                      estimated_minutes=referral.estimated_minutes,
                      case_table_id=referral.case_table_id,
                      calendar_uid=secrets.token_hex(16))
    db.session.add(booking)
    db.session.flush()
    return booking
