"""Benchmark: the year report over 100,000 bookings and 400,000 hour lines (SQLite).

Target (issue 5): all of the report's queries plus rendering its HTML under 1 s.
Prints the build time, the median and p95 of the runs and the SQL statement count.
Run: .venv/bin/python bench/budget.py [--bookings 100000] [--lines-per-booking 4] [--runs 5]
"""

from __future__ import annotations

import argparse
import random
import secrets
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import render_template  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event, insert, text  # noqa: E402

from duidingspool import create_app  # noqa: E402
from duidingspool.accounts.models import User  # noqa: E402
from duidingspool.bookings.models import Booking, Offer  # noqa: E402
from duidingspool.budget.models import Budget, BudgetAllocation, BudgetThreshold  # noqa: E402
from duidingspool.casetables.models import CaseTable, Municipality, SafetyRegion, Sitting  # noqa: E402
from duidingspool.db import utcnow  # noqa: E402
from duidingspool.experts.models import Expert, ExpertiseArea, ExpertRate  # noqa: E402
from duidingspool.extensions import db  # noqa: E402
from duidingspool.hours.models import HourLine  # noqa: E402
from duidingspool.referrals.models import Referral, ReferralExpertise  # noqa: E402
from duidingspool.reports.queries import year_report  # noqa: E402
from duidingspool.reports.views import TABLES  # noqa: E402

UTC = timezone.utc
YEAR = 2026
EXPERTS = 400
CASE_TABLES = 25
CHUNK = 20000
CATEGORIES = ["preparation", "attendance", "travel", "written_advice", "follow_up"]


def _chunked(model, rows):
    for start in range(0, len(rows), CHUNK):
        db.session.execute(insert(model), rows[start:start + CHUNK])


def build(n_bookings: int, lines_per_booking: int, rng: random.Random) -> None:
    """Fill an empty database with a year of bookings and their hour lines (core inserts)."""
    now = datetime.now(UTC)
    db.session.execute(insert(SafetyRegion), [
        {"id": i, "code": f"VR{i:02d}", "name": f"Regio {i}"} for i in range(1, 6)])
    db.session.execute(insert(Municipality), [
        {"id": i, "name": f"Gemeente {i}", "cbs_code": f"GM{i:04d}",
         "safety_region_id": 1 + i % 5, "latitude": Decimal("52.1"), "longitude": Decimal("6.1")}
        for i in range(1, 61)])
    db.session.execute(insert(ExpertiseArea), [
        {"id": i, "code": f"area-{i}", "name_nl": f"Gebied {i}", "name_en": f"Area {i}",
         "is_active": True} for i in range(1, 11)])
    db.session.execute(insert(User), [
        {"id": i, "email": f"u{i}@example.org", "name": f"Expert {i}", "password_hash": "x",
         "is_enabled": True, "created_at": now} for i in range(1, EXPERTS + 3)])
    requester_id, coordinator_id = EXPERTS + 1, EXPERTS + 2
    db.session.execute(insert(Expert), [
        {"id": i, "user_id": i, "home_municipality_id": 1 + i % 60, "max_travel_km": 100,
         "max_hours_per_month": 200, "is_active": True, "created_at": now}
        for i in range(1, EXPERTS + 1)])
    db.session.execute(insert(ExpertRate), [
        {"expert_id": i, "valid_from": valid_from, "hourly_rate": Decimal(rng.randint(80, 140))}
        for i in range(1, EXPERTS + 1) for valid_from in (date(YEAR, 1, 1), date(YEAR, 7, 1))])
    db.session.execute(insert(CaseTable), [
        {"id": t, "name": f"Casustafel {t}", "host_organisation": "Veiligheidshuis",
         "host_municipality_id": t, "address": "Plein 1", "schedule_source": "recurrence",
         "duration_minutes": 120, "is_active": True, "created_at": now}
        for t in range(1, CASE_TABLES + 1)])
    budget_id = db.session.execute(insert(Budget).returning(Budget.id), [
        {"year": YEAR, "amount": Decimal("12500000.00"), "km_rate": Decimal("0.23"),
         "created_at": now}]).scalar_one()
    db.session.execute(insert(BudgetThreshold), [
        {"budget_id": budget_id, "percent": percent} for percent in (75, 90, 100)])
    db.session.execute(insert(BudgetAllocation), [
        {"budget_id": budget_id, "safety_region_id": r, "amount": Decimal("2000000.00")}
        for r in range(1, 6)])

    start_of_year = datetime(YEAR, 1, 1, 8, tzinfo=UTC)
    sittings, referrals, expertise, offers, bookings, lines = [], [], [], [], [], []
    line_id = 0
    for b in range(1, n_bookings + 1):
        starts = start_of_year + timedelta(days=rng.randint(0, 363), hours=rng.randint(0, 8))
        ends = starts + timedelta(hours=2)
        table = rng.randint(1, CASE_TABLES)
        created = starts - timedelta(days=rng.randint(3, 30), hours=rng.randint(0, 23))
        status = rng.choices(["completed", "confirmed", "cancelled"], [70, 25, 5])[0]
        sittings.append({"id": b, "case_table_id": table, "starts_at": starts, "ends_at": ends,
                         "status": "scheduled", "origin_uid": f"bench-{b}",
                         "origin_start": starts, "sequence": 0, "is_online": False,
                         "created_at": starts, "updated_at": starts})
        referrals.append({"id": b, "reference": f"DV-B-{b}", "case_table_id": table,
                          "municipality_id": rng.randint(1, 60), "created_by_id": requester_id,
                          "sitting_id": b, "mode": "in_person", "estimated_minutes": 180,
                          "urgency": "normal", "urgency_rank": 2,
                          "status": "completed" if status == "completed" else "booked",
                          "case_code": f"CODE-{b}", "question": "Vraagstelling",
                          "created_at": created, "updated_at": created})
        expertise.append({"referral_id": b, "expertise_area_id": 1 + b % 10, "min_level": 1})
        expert = rng.randint(1, EXPERTS)
        offers.append({"id": b, "referral_id": b, "expert_id": expert, "status": "accepted",
                       "queue_position": 1, "offered_at": created, "expires_at": starts,
                       "created_by_id": coordinator_id, "created_at": created})
        bookings.append({"id": b, "referral_id": b, "offer_id": b, "expert_id": expert,
                         "sitting_id": b, "starts_at": starts, "ends_at": ends, "status": status,
                         "estimated_minutes": 180, "case_table_id": table,
                         "calendar_uid": secrets.token_hex(16), "sequence": 0,
                         "created_at": created + timedelta(hours=rng.randint(1, 72)),
                         "updated_at": created,
                         "cancelled_at": starts if status == "cancelled" else None})
        for _ in range(lines_per_booking):
            line_id += 1
            line_status = rng.choices(["approved", "submitted", "draft", "rejected"],
                                      [70, 15, 10, 5])[0]
            minutes = rng.choice([30, 45, 60, 90, 120])
            lines.append({"id": line_id, "booking_id": b, "category": rng.choice(CATEGORIES),
                          "minutes": minutes, "kilometres": None, "note": None,
                          "status": line_status,
                          "amount": None if line_status == "draft" else Decimal(minutes) * 2,
                          "reject_reason": "x" if line_status == "rejected" else None,
                          "created_at": starts})
    for model, rows in ((Sitting, sittings), (Referral, referrals),
                        (ReferralExpertise, expertise), (Offer, offers), (Booking, bookings),
                        (HourLine, lines)):
        _chunked(model, rows)
    db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=100_000)
    parser.add_argument("--lines-per-booking", type=int, default=4)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp}/bench.sqlite3")
        with app.app_context():
            upgrade()
            # Scratch database: no journal and no fsync while loading (bench only).
            db.session.execute(text("PRAGMA journal_mode = OFF"))
            db.session.execute(text("PRAGMA synchronous = OFF"))
            t0 = time.perf_counter()
            build(args.bookings, args.lines_per_booking, random.Random(5))
            db.session.execute(text("ANALYZE"))
            db.session.commit()
            print(f"built {args.bookings} bookings, {args.bookings * args.lines_per_booking} "
                  f"hour lines in {time.perf_counter() - t0:.1f} s")

            statements = 0

            def count(*_args, **_kw):
                nonlocal statements
                statements += 1

            timings = []
            with app.test_request_context("/rapportage/2026"):
                for run in range(args.runs + 1):
                    db.session.expire_all()
                    event.listen(db.engine, "before_cursor_execute", count)
                    statements = 0
                    t0 = time.perf_counter()
                    report = year_report(year=YEAR, locale="nl")
                    queried = time.perf_counter()
                    html = render_template("reports/year.html", report=report, tables=TABLES,
                                           generated_at=utcnow())
                    elapsed = time.perf_counter() - t0
                    event.remove(db.engine, "before_cursor_execute", count)
                    if run:  # the first run warms caches
                        timings.append((elapsed, queried - t0))
            total = sorted(t for t, _q in timings)
            p95 = total[min(len(total) - 1, round(0.95 * (len(total) - 1)))]
            median = statistics.median(total)
            print(f"year report: median {median * 1000:.0f} ms "
                  f"(queries {statistics.median([q for _t, q in timings]) * 1000:.0f} ms), "
                  f"p95 {p95 * 1000:.0f} ms, {statements} SQL statements, "
                  f"{len(html) // 1024} KiB HTML ({args.runs} runs)")
            print(f"requests {report.totals.requested}, spent {report.budget.total.spent}, "
                  f"committed {report.budget.total.committed}")
            print("target: median under 1 s ->", "met" if median < 1 else "NOT met")


if __name__ == "__main__":
    main()
