"""Benchmark: an expert's calendar feed with 500 bookings (SQLite), and its 304 path under
the production WSGI server (gunicorn) next to a trivial route of the same app.

Targets (issue 4): full feed renders in under 30 ms median; the 304 path reaches at least
70 % of the trivial route's requests per second, measured side by side in one run.
Load goes only to 127.0.0.1 and is bounded in requests and seconds.

Run: .venv/bin/pip install -e '.[bench]'; .venv/bin/python bench/feeds.py
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

from duidingspool import create_app  # noqa: E402
from duidingspool.accounts.models import User, UserRole  # noqa: E402
from duidingspool.bookings.models import Booking, Offer  # noqa: E402
from duidingspool.casetables.models import (  # noqa: E402
    CaseTable,
    Municipality,
    SafetyRegion,
    Sitting,
    case_table_municipality,
)
from duidingspool.experts.models import Expert  # noqa: E402
from duidingspool.extensions import db  # noqa: E402
from duidingspool.ical import builder, services  # noqa: E402
from duidingspool.referrals.models import Referral  # noqa: E402

UTC = timezone.utc
AMS = ZoneInfo("Europe/Amsterdam")
PING = "/_bench/ping"


def make_app(db_path: str):
    return create_app("development", SQLALCHEMY_DATABASE_URI=f"sqlite:///{db_path}",
                      SECRET_KEY="bench-only", PUBLIC_BASE_URL="https://duidingspool.example.org")


def build(n_bookings: int, rng: random.Random) -> int:
    """One expert with `n_bookings` bookings (a few cancelled) over a year; returns the user id."""
    now = datetime.now(UTC)
    db.session.execute(insert(SafetyRegion), [{"id": 1, "code": "VR05", "name": "Twente"}])
    db.session.execute(insert(Municipality), [
        {"id": i, "name": f"Gemeente {i}", "cbs_code": f"GM{i:04d}", "safety_region_id": 1,
         "latitude": Decimal("52.2"), "longitude": Decimal("6.9")} for i in range(1, 6)])
    db.session.execute(insert(User), [
        {"id": 1, "email": "expert@example.org", "name": "Expert Één", "password_hash": "x",
         "is_enabled": True, "created_at": now},
        {"id": 2, "email": "requester@example.org", "name": "Aanvrager", "password_hash": "x",
         "is_enabled": True, "municipality_id": 1, "created_at": now}])
    db.session.execute(insert(UserRole), [{"user_id": 1, "role": "expert"},
                                          {"user_id": 2, "role": "requester"}])
    db.session.execute(insert(Expert), [{
        "id": 1, "user_id": 1, "home_municipality_id": 1, "max_travel_km": 100,
        "max_hours_per_month": 200, "is_active": True, "vog_expires_on": date(now.year + 2, 1, 1),
        "confidentiality_expires_on": date(now.year + 2, 1, 1), "created_at": now}])
    db.session.execute(insert(CaseTable), [{
        "id": t, "name": f"Casustafel {t} – Zuid-Oost Gelderland", "host_organisation": "VH",
        "host_municipality_id": t, "address": f"Stationsplein {t}, Zutphen",
        "schedule_source": "recurrence", "duration_minutes": 120, "is_active": True,
        "created_at": now} for t in range(1, 6)])
    db.session.execute(insert(case_table_municipality), [
        {"case_table_id": t, "municipality_id": t} for t in range(1, 6)])
    first_day = (now - timedelta(days=180)).astimezone(AMS).date()
    sittings, referrals, offers, bookings = [], [], [], []
    for i in range(1, n_bookings + 1):
        day = first_day + timedelta(days=(i * 365) // n_bookings)
        starts = datetime(day.year, day.month, day.day, 9 + (i % 3) * 2, 0,
                          tzinfo=AMS).astimezone(UTC)
        ends = starts + timedelta(hours=2)
        table = rng.randint(1, 5)
        cancelled = i % 50 == 0
        sittings.append({"id": i, "case_table_id": table, "starts_at": starts, "ends_at": ends,
                         "location": f"Stationsplein {table}, Zutphen", "is_online": False,
                         "status": "scheduled", "origin_uid": f"bench-{i}", "origin_start": starts,
                         "sequence": 0, "created_at": now, "updated_at": now})
        referrals.append({"id": i, "reference": f"DV-{day.year}-{i:05d}", "case_table_id": table,
                          "municipality_id": table, "created_by_id": 2, "sitting_id": i,
                          "mode": "in_person", "estimated_minutes": 120, "urgency": "normal",
                          "urgency_rank": 2, "case_code": f"ZAAK-{i}",
                          "question": "Niet in de feed.", "status": "booked",
                          "created_at": now, "updated_at": now})
        offers.append({"id": i, "referral_id": i, "expert_id": 1, "status": "accepted",
                       "queue_position": 1, "offered_at": now, "expires_at": now,
                       "responded_at": now, "created_by_id": 2, "created_at": now})
        bookings.append({"id": i, "referral_id": i, "offer_id": i, "expert_id": 1,
                         "case_table_id": table, "sitting_id": i, "starts_at": starts,
                         "ends_at": ends, "estimated_minutes": 120,
                         "status": "cancelled" if cancelled else "confirmed",
                         "calendar_uid": secrets.token_hex(16), "sequence": i % 4,
                         "created_at": now - timedelta(days=1),
                         "updated_at": now - timedelta(minutes=i),
                         "cancelled_at": now - timedelta(days=2) if cancelled else None})
    db.session.execute(insert(Sitting), sittings)
    db.session.execute(insert(Referral), referrals)
    db.session.execute(insert(Offer), offers)
    db.session.execute(insert(Booking), bookings)
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    return 1


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def bench_render(token: str, runs: int, cold_runs: int) -> dict:
    access = services.resolve(token)
    now = datetime.now(UTC)
    events = len(services.feed_events(access, now=now))
    cold = []
    for _ in range(cold_runs):
        # Without the per-event memo: icalendar types, escapes and folds every line.
        builder._event_ical.cache_clear()
        t0 = time.perf_counter()
        body = services.feed_body(access, now=now)
        cold.append((time.perf_counter() - t0) * 1000)
    warm, end_to_end = [], []
    for _ in range(runs):
        db.session.remove()
        t0 = time.perf_counter()
        access = services.resolve(token)
        services.state(access, now=now)
        t1 = time.perf_counter()
        body = services.feed_body(access, now=now)
        t2 = time.perf_counter()
        warm.append((t2 - t1) * 1000)
        end_to_end.append((t2 - t0) * 1000)
    return {"events": events, "bytes": len(body), "cold": cold, "render": warm,
            "total": end_to_end}


# --- the server (a child process, so the load generator does not share its GIL) -----------------

def serve(db_path: str, port: int, threads: int) -> None:
    """gunicorn, as in production (config/gunicorn.py): one gthread worker with `threads`
    threads, through gunicorn's documented custom-application API. (waitress, which this
    bench used before, closes the connection after every 304, so each poll paid for a new
    TCP connection there; gunicorn, like any proxy in front, keeps it open.)"""
    from gunicorn.app.base import BaseApplication

    from duidingspool.accounts.access import public

    app = make_app(db_path)

    @app.get(PING)
    @public
    def ping():
        return "ok"

    class Server(BaseApplication):
        def load_config(self):
            for key, value in {"bind": f"127.0.0.1:{port}", "workers": 1,
                               "worker_class": "gthread", "threads": threads, "keepalive": 30,
                               "accesslog": None, "loglevel": "warning"}.items():
                self.cfg.set(key, value)

        def load(self):
            return app

    Server().run()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port: int, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the bench server did not start")


def load(port: int, path: str, headers: dict, *, clients: int, per_client: int,
         max_seconds: float, expect: int) -> dict:
    """`clients` keep-alive connections, each sending up to `per_client` GETs."""
    latencies: list[float] = []
    errors = []
    lock = threading.Lock()
    deadline = time.monotonic() + max_seconds

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine = []
        try:
            for _ in range(per_client):
                if time.monotonic() > deadline:
                    break
                t0 = time.perf_counter()
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                mine.append((time.perf_counter() - t0) * 1000)
                if response.status != expect:
                    errors.append(response.status)
                    break
        finally:
            conn.close()
            with lock:
                latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise RuntimeError(f"{path}: unexpected status {errors[0]}")
    return {"n": len(latencies), "elapsed": elapsed, "latencies": latencies}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bookings", type=int, default=500)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--requests", type=int, default=1500, help="per client and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-seconds", type=float, default=15, help="per round and route")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn worker threads")
    parser.add_argument("--serve", nargs=2, metavar=("DB", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]), args.threads)
        return

    with tempfile.TemporaryDirectory() as tmp:
        db_path = f"{tmp}/bench.sqlite3"
        app = make_app(db_path)
        with app.app_context():
            upgrade()
            user_id = build(args.bookings, random.Random(4))
            _, token = services.create_feed(actor=db.session.get(User, user_id), scope="expert")
            db.session.commit()
            figures = bench_render(token, args.runs, args.cold_runs)
            db.session.remove()
            db.engine.dispose()
        print(f"feed: {figures['events']} events, {figures['bytes']} bytes")
        for name, label in (("cold", "render, every event serialised anew"),
                            ("render", "render (query + build + serialise)"),
                            ("total", "resolve + state + render")):
            values = figures[name]
            print(f"  {label:38s} median {statistics.median(values):6.1f} ms   "
                  f"p95 {percentile(values, 95):6.1f} ms   (target median < 30 ms)")

        port = free_port()
        child = subprocess.Popen([sys.executable, __file__, "--serve", db_path, str(port),
                                  "--threads", str(args.threads)],
                                 env={**os.environ, "PYTHONWARNINGS": "ignore"})
        try:
            wait_for(port)
            feed_path = f"/calendar/{token}.ics"
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", feed_path)
            first = conn.getresponse()
            first.read()
            etag = first.getheader("ETag")
            conn.close()
            conditional = {"If-None-Match": etag}
            results = {"trivial": [], "304": []}
            # Warm both routes, then alternate them so drift hits both alike.
            for path, hdrs, code in ((PING, {}, 200), (feed_path, conditional, 304)):
                load(port, path, hdrs, clients=args.clients, per_client=100, max_seconds=5,
                     expect=code)
            for _ in range(args.rounds):
                for name, path, hdrs, code in (("trivial", PING, {}, 200),
                                               ("304", feed_path, conditional, 304)):
                    results[name].append(load(port, path, hdrs, clients=args.clients,
                                              per_client=args.requests,
                                              max_seconds=args.max_seconds, expect=code))
        finally:
            child.terminate()
            child.wait(timeout=10)

    print(f"gunicorn (gthread), {args.threads} threads, {args.clients} keep-alive clients, "
          f"{args.rounds} alternating rounds:")
    rps = {}
    for name in ("trivial", "304"):
        runs = results[name]
        n = sum(r["n"] for r in runs)
        elapsed = sum(r["elapsed"] for r in runs)
        latencies = [x for r in runs for x in r["latencies"]]
        rps[name] = n / elapsed
        print(f"  {name:8s} {n:6d} requests  {rps[name]:7.0f} req/s   "
              f"median {statistics.median(latencies):5.2f} ms   "
              f"p95 {percentile(latencies, 95):5.2f} ms")
    print(f"  304 path / trivial route: {rps['304'] / rps['trivial'] * 100:.0f} % "
          f"(target >= 70 %)")


if __name__ == "__main__":
    main()
