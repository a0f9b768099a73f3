"""Benchmark: rank one request against 1,000 experts with a year of bookings (SQLite).

Target (issue 3): median under 50 ms. Prints median, p95 and the SQL statement count.
Run: .venv/bin/python bench/matching.py [--experts 1000] [--runs 50]
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

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event, insert, text  # noqa: E402

from duidingspool import create_app  # noqa: E402
from duidingspool.accounts.models import User  # noqa: E402
from duidingspool.bookings.models import Booking, Offer  # noqa: E402
from duidingspool.casetables.models import CaseTable, Municipality, SafetyRegion, Sitting  # noqa: E402
from duidingspool.experts.models import (  # noqa: E402
    Absence,
    AvailabilityWindow,
    BusyInterval,
    Expert,
    ExpertConflict,
    ExpertExpertise,
    ExpertiseArea,
    ExpertLanguage,
    ExpertRate,
)
from duidingspool.extensions import db  # noqa: E402
from duidingspool.bookings.candidates import rank_request  # noqa: E402
from duidingspool.referrals.models import Referral, ReferralExpertise  # noqa: E402

UTC = timezone.utc
CASE_TABLES = 20


def build(n_experts: int, bookings_per_expert: int, rng: random.Random) -> int:
    """Fill an empty database; returns the id of the request to rank."""
    year = datetime.now(UTC).year
    db.session.execute(insert(SafetyRegion), [{"id": 1, "code": "VR05", "name": "Twente"}])
    db.session.execute(insert(Municipality), [
        {"id": i, "name": f"Gemeente {i}", "cbs_code": f"GM{i:04d}", "safety_region_id": 1,
         "latitude": Decimal("52.0") + Decimal(rng.randint(0, 80)) / 100,
         "longitude": Decimal("5.8") + Decimal(rng.randint(0, 130)) / 100}
        for i in range(1, 61)])
    db.session.execute(insert(ExpertiseArea), [
        {"id": i, "code": f"area-{i}", "name_nl": f"Gebied {i}", "name_en": f"Area {i}",
         "is_active": True} for i in range(1, 11)])
    users = [{"id": i, "email": f"u{i}@example.org", "name": f"Expert {i}",
              "password_hash": "x", "is_enabled": True, "created_at": datetime.now(UTC)}
             for i in range(1, n_experts + 3)]
    db.session.execute(insert(User), users)
    requester_id, coordinator_id = n_experts + 1, n_experts + 2
    # About as many case tables as Oost-Nederland has; bookings spread over them.
    db.session.execute(insert(CaseTable), [{
        "id": t, "name": f"Casustafel {t}", "host_organisation": "Veiligheidshuis",
        "host_municipality_id": t, "address": "Plein 1", "schedule_source": "recurrence",
        "duration_minutes": 120, "is_active": True, "created_at": datetime.now(UTC)}
        for t in range(1, CASE_TABLES + 1)])
    db.session.execute(insert(Expert), [{
        "id": i, "user_id": i, "home_municipality_id": rng.randint(1, 60),
        "max_travel_km": rng.choice([50, 100, 150]), "max_hours_per_month": 200,
        "is_active": rng.random() > 0.05, "vog_expires_on": date(year + 2, 1, 1),
        "confidentiality_expires_on": date(year + 2, 1, 1), "created_at": datetime.now(UTC)}
        for i in range(1, n_experts + 1)])
    db.session.execute(insert(ExpertExpertise), [
        {"expert_id": i, "expertise_area_id": a, "level": rng.randint(1, 3)}
        for i in range(1, n_experts + 1) for a in rng.sample(range(1, 11), 3)])
    db.session.execute(insert(ExpertLanguage), [
        {"expert_id": i, "language": lang} for i in range(1, n_experts + 1)
        for lang in ["nl"] + rng.sample(["en", "ar", "tr", "so"], 1)])
    db.session.execute(insert(ExpertRate), [
        {"expert_id": i, "valid_from": date(year, 1, 1), "hourly_rate": Decimal(rng.randint(80, 140))}
        for i in range(1, n_experts + 1)])
    db.session.execute(insert(ExpertConflict), [
        {"expert_id": i, "municipality_id": rng.randint(1, 60)} for i in range(1, n_experts + 1, 7)])
    db.session.execute(insert(AvailabilityWindow), [
        {"expert_id": i, "weekday": d, "start_minute": 8 * 60, "end_minute": 18 * 60}
        for i in range(1, n_experts + 1) for d in range(5)])

    start_of_year = datetime(year, 1, 1, 8, tzinfo=UTC)
    sittings, referrals, offers, bookings, absences, busy = [], [], [], [], [], []
    booking_id = 0
    for i in range(1, n_experts + 1):
        for _ in range(bookings_per_expert):
            booking_id += 1
            starts = start_of_year + timedelta(days=rng.randint(0, 364), hours=rng.randint(0, 8))
            ends = starts + timedelta(hours=2)
            table = rng.randint(1, CASE_TABLES)
            sittings.append({"id": booking_id, "case_table_id": table, "starts_at": starts,
                             "ends_at": ends, "status": "scheduled", "origin_uid": f"bench-{booking_id}",
                             "origin_start": starts, "sequence": 0, "is_online": False,
                             "created_at": starts, "updated_at": starts})
            referrals.append({"id": booking_id, "reference": f"DV-B-{booking_id}",
                              "case_table_id": table, "municipality_id": table,
                              "created_by_id": requester_id, "sitting_id": booking_id,
                              "mode": "in_person", "estimated_minutes": 120,
                              "urgency": "normal", "urgency_rank": 2, "status": "booked",
                              "created_at": starts, "updated_at": starts})
            offers.append({"id": booking_id, "referral_id": booking_id, "expert_id": i,
                           "status": "accepted", "queue_position": 1, "offered_at": starts,
                           "expires_at": starts, "created_by_id": coordinator_id,
                           "created_at": starts})
            bookings.append({"id": booking_id, "referral_id": booking_id, "offer_id": booking_id,
                             "expert_id": i, "sitting_id": booking_id, "starts_at": starts,
                             "ends_at": ends, "status": "confirmed", "estimated_minutes": 120,
                             "case_table_id": table,
                             "calendar_uid": secrets.token_hex(16), "sequence": 0,
                             "created_at": starts, "updated_at": starts})
        for _ in range(4):
            starts = start_of_year + timedelta(days=rng.randint(0, 364))
            absences.append({"expert_id": i, "starts_at": starts,
                             "ends_at": starts + timedelta(days=rng.randint(1, 10))})
            busy.append({"expert_id": i, "starts_at": starts + timedelta(hours=9),
                         "ends_at": starts + timedelta(hours=11)})
    for model, rows in ((Sitting, sittings), (Referral, referrals), (Offer, offers),
                        (Booking, bookings), (Absence, absences), (BusyInterval, busy)):
        for chunk in range(0, len(rows), 5000):
            db.session.execute(insert(model), rows[chunk:chunk + 5000])

    # The request to rank: a Tuesday afternoon in the middle of the year.
    target_day = date(year, 6, 2)
    target_day += timedelta(days=(1 - target_day.weekday()) % 7)
    starts = datetime(target_day.year, target_day.month, target_day.day, 12, tzinfo=UTC)
    target = booking_id + 1
    db.session.execute(insert(Sitting), [{
        "id": target, "case_table_id": 1, "starts_at": starts, "ends_at": starts + timedelta(hours=2),
        "status": "scheduled", "origin_uid": "target", "origin_start": starts, "sequence": 0,
        "is_online": False, "created_at": starts, "updated_at": starts}])
    db.session.execute(insert(Referral), [{
        "id": target, "reference": "DV-TARGET", "case_table_id": 1, "municipality_id": 1,
        "created_by_id": requester_id, "sitting_id": target, "mode": "in_person",
        "estimated_minutes": 180, "urgency": "normal", "urgency_rank": 2, "status": "submitted",
        "created_at": starts, "updated_at": starts}])
    db.session.execute(insert(ReferralExpertise), [
        {"referral_id": target, "expertise_area_id": 1, "min_level": 1}])
    db.session.commit()
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experts", type=int, default=1000)
    parser.add_argument("--bookings-per-expert", type=int, default=50)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp}/bench.sqlite3")
        with app.app_context():
            upgrade()
            t0 = time.perf_counter()
            target = build(args.experts, args.bookings_per_expert, random.Random(42))
            # Table statistics, as `PRAGMA optimize` keeps them on a live SQLite database;
            # without them SQLite may walk the time index instead of the expert index.
            db.session.execute(text("ANALYZE"))
            print(f"built {args.experts} experts, {args.experts * args.bookings_per_expert} "
                  f"bookings in {time.perf_counter() - t0:.1f} s")

            statements = 0

            def count(*_args, **_kw):
                nonlocal statements
                statements += 1

            timings = []
            for run in range(args.runs + 3):
                db.session.expire_all()
                event.listen(db.engine, "before_cursor_execute", count)
                statements = 0
                # Timed as the request page does it: load the request, then rank.
                t0 = time.perf_counter()
                ranking = rank_request(referral=db.session.get(Referral, target))
                elapsed = (time.perf_counter() - t0) * 1000
                event.remove(db.engine, "before_cursor_execute", count)
                if run >= 3:  # the first runs warm caches
                    timings.append(elapsed)
            timings.sort()
            p95 = timings[max(0, int(round(0.95 * len(timings))) - 1)]
            print(f"ranked {len(ranking.candidates)} candidates, {len(ranking.excluded)} excluded")
            print(f"median {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms, "
                  f"{statements} SQL statements per ranking, loading the request included "
                  f"({args.runs} runs)")
            print("target: median < 50 ms ->",
                  "met" if statistics.median(timings) < 50 else "NOT met")


if __name__ == "__main__":
    main()
