"""Factories: small functions that add valid objects with sensible defaults and flush.

They build rows directly (not through services) so that a test of one service does not
depend on another. Names and places are invented or public (municipalities). At the end, the
few helpers that tests in several packages share to read back what happened.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import func, select

from duidingspool.accounts.models import Role, User, UserRole
from duidingspool.accounts.services import hash_password
from duidingspool.audit.models import AuditEvent
from duidingspool.casetables.models import CaseTable, Municipality, SafetyRegion, Sitting
from duidingspool.experts.models import Expert, ExpertiseArea
from duidingspool.extensions import db
from duidingspool.referrals.models import Referral, ReferralExpertise

PASSWORD = "correct-horse-battery-staple"
_seq = itertools.count(1)
# Hashing with Argon2 is deliberately slow; factories share one hash of PASSWORD.
_password_hash: str | None = None


def _n() -> int:
    return next(_seq)


def _save(obj):
    db.session.add(obj)
    db.session.flush()
    return obj


def region(**kw) -> SafetyRegion:
    n = _n()
    return _save(SafetyRegion(**{"code": f"VR{n:03d}", "name": f"Regio {n}", **kw}))


def municipality(**kw) -> Municipality:
    n = _n()
    if "safety_region_id" not in kw and "safety_region" not in kw:
        kw["safety_region"] = region()
    return _save(Municipality(**{
        "name": f"Gemeente {n}", "cbs_code": f"GM{n % 10000:04d}",
        "latitude": Decimal("52.22"), "longitude": Decimal("6.89"), **kw,
    }))


def user(*roles: Role, municipality_obj: Municipality | None = None, **kw) -> User:
    global _password_hash
    if _password_hash is None:
        _password_hash = hash_password(PASSWORD)
    n = _n()
    roles = roles or (Role.REQUESTER,)
    if Role.REQUESTER in roles and municipality_obj is None and "municipality_id" not in kw:
        municipality_obj = municipality()
    return _save(User(**{
        "email": f"user{n}@example.org", "name": f"Gebruiker {n}",
        "password_hash": _password_hash, "municipality": municipality_obj,
        "roles": [UserRole(role=r.value) for r in roles], **kw,
    }))


def case_table(*, municipalities: list[Municipality] | None = None, **kw) -> CaseTable:
    n = _n()
    municipalities = municipalities or [municipality()]
    return _save(CaseTable(**{
        "name": f"Casustafel {n}", "host_organisation": f"Veiligheidshuis {n}",
        "host_municipality": municipalities[0], "address": "Stationsplein 1",
        "rrule": "FREQ=MONTHLY;BYDAY=2TU",
        "first_session_start": datetime(2026, 1, 13, 12, 0, tzinfo=timezone.utc),
        "duration_minutes": 120, "municipalities": municipalities, **kw,
    }))


def sitting(table: CaseTable, *, starts_at: datetime | None = None, **kw) -> Sitting:
    starts_at = starts_at or (datetime.now(timezone.utc).replace(microsecond=0, second=0)
                              + timedelta(days=14))
    return _save(Sitting(**{
        "case_table": table, "starts_at": starts_at, "ends_at": starts_at + timedelta(hours=2),
        "location": table.address, "origin_uid": f"manual-{_n()}", "origin_start": starts_at,
        **kw,
    }))


def expertise_area(**kw) -> ExpertiseArea:
    n = _n()
    return _save(ExpertiseArea(**{"code": f"area-{n}", "name_nl": f"Gebied {n}",
                                  "name_en": f"Area {n}", **kw}))


def expert(**kw) -> Expert:
    owner = kw.pop("user", None) or user(Role.EXPERT)
    return _save(Expert(**{
        "user": owner, "home_municipality": kw.pop("home_municipality", None) or municipality(),
        "vog_issued_on": date(2026, 1, 1), "vog_expires_on": date(2029, 1, 1),
        "confidentiality_signed_on": date(2026, 1, 1),
        "confidentiality_expires_on": date(2029, 1, 1), **kw,
    }))


def referral(*, requester: User, table: CaseTable | None = None,
             on: Sitting | None = None, areas: list[ExpertiseArea] | None = None,
             **kw) -> Referral:
    n = _n()
    if table is None:
        table = on.case_table if on is not None else case_table(
            municipalities=[requester.municipality])
    if on is None and "window_start" not in kw:
        on = sitting(table)
    areas = areas if areas is not None else [expertise_area()]
    return _save(Referral(**{
        "reference": f"DV-TEST-{n:05d}", "case_table": table,
        "municipality_id": requester.municipality_id, "created_by": requester,
        "sitting": on, "estimated_minutes": 180, "case_code": f"CT-{n}",
        "question": "Duiding gevraagd van online uitingen.",
        "expertise": [ReferralExpertise(area=a, min_level=1) for a in areas], **kw,
    }))


def utc(*args) -> datetime:
    """datetime(*args) in UTC."""
    return datetime(*args, tzinfo=timezone.utc)


def count(model) -> int:
    """The number of rows of `model`, flushed ones included."""
    return db.session.scalar(select(func.count()).select_from(model))


def audit_actions() -> list[str]:
    """The actions in the audit trail, oldest first."""
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
