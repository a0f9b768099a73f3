"""Build a national pool: every Dutch municipality (invented names), five years of history.

The data set of issue 16: 342 municipalities in 25 safety regions, 120 case tables meeting
weekly, 1,000 experts with availability, rates, expertise and calendar feeds, five full
years of history plus this year up to today (over 60,000 requests, 55,000 bookings and
250,000 hour lines, a budget per year), and the present: open requests in the
coordinator's inbox, offers waiting for an expert's answer, confirmed bookings on the next
sessions and hours waiting for approval.

History is written with bulk INSERTs (no ORM objects, no services); the database triggers
of migrations 0011-0013 keep every tally, feed stamp and first-booking time exact, exactly
as they do for the app's own writes (the script compares the tallies with a recount at the
end). Every name is invented.

    .venv/bin/python bench/national.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/duidingspool_national

The database is created when missing (PostgreSQL) and must otherwise be empty, or pass
--reset to drop and create it again. Logins (all with the password printed at the end):
coordinator1..4@national.example (two-factor: the TOTP secret is derived from --seed, see
`totp_secret`), expertNNNN@national.example, requester-gmNNNN@national.example. bench/load.py
knows these conventions. SECRET_KEY must be the one the web processes use (it encrypts the
coordinators' TOTP secrets); the default is the one `bench/prod_local.sh` uses.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import random
import sys
import time
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import base64  # noqa: E402

import sqlalchemy as sa  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

UTC = timezone.utc
AMS = ZoneInfo("Europe/Amsterdam")
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/duidingspool_national"
DEFAULT_SECRET_KEY = "prod-local-secret-key-not-for-real-use"
PASSWORD = "landelijke-pool-2026"
DOMAIN = "national.example"
REGIONS = 25
MUNICIPALITIES = 342
CASE_TABLES = 120
EXPERTS = 1000
COORDINATORS = 4
HISTORY_YEARS = 5
CHUNK = 5000
CATEGORIES = ("preparation", "attendance", "travel", "written_advice", "follow_up")

# Invented place names: syllables that make Dutch-sounding names of no real place.
_PLACE_HEADS = ["Brak", "Velm", "Duin", "Ork", "Lind", "Zwal", "Ter", "Hals", "Moer", "Gaas",
                "Wield", "Kroon", "Esch", "Rood", "Blank", "Sloe", "Marr", "Hun", "Tjon"]
_PLACE_TAILS = ["erbroek", "enveld", "ingerhorst", "ewolde", "ersloot", "umdam", "enrade",
                "erlo", "ingawier", "ekamp", "erzijl", "ummerheide", "endonk", "erhoeve",
                "oterp", "ebeek", "erwaard", "ingeveen", "eburg"]
_REGION_WORDS = ["Noordkust", "Heuvelland", "Rivierengebied", "Veenkoloniën", "Kustvlakte",
                 "Middenmeer", "Oostgrens", "Zuidwaarden", "Westhoek", "Hoogland"]
_FIRST = ["Anouk", "Bram", "Cato", "Daan", "Eline", "Fenna", "Gijs", "Hidde", "Iris", "Jelle",
          "Kiki", "Lotte", "Milan", "Noor", "Olaf", "Pien", "Quinten", "Roos", "Sem", "Tess",
          "Ties", "Vera", "Wout", "Yara", "Zeno", "Amira", "Bilal", "Dilan", "Hamza", "Naima"]
_LAST = ["Veldmeijer", "Brakhorst", "Duinkerk", "Ormeling", "Lindewaard", "Zwalmstra",
         "Terbroek", "Halsema", "Moerdonk", "Gaasterman", "Wieldraaijer", "Kroonenberg",
         "Eschweiler", "Roodhuizen", "Blankevoort", "Sloekamp", "Marrewijk", "Hunink",
         "Tjonkema", "Akkerhuis", "Bosveld", "Dijkgraaf", "Eilering", "Fokkema", "Grasdijk",
         "Haverkort", "IJzerman", "Jachtenberg", "Kampinga", "Lammerse", "Mulderink",
         "Nijhoving", "Oosterbeek", "Pluimers", "Rietveldt"]
_QUESTIONS = [
    "Duiding gevraagd van uitingen op sociale media en de betekenis ervan voor de aanpak.",
    "Wat zegt de gebruikte symboliek over de ideologische richting en het risico?",
    "Hoe verhouden de religieuze opvattingen zich tot de gemelde zorgen van de school?",
    "Duiding van het netwerk en de rol van de familie bij een mogelijke vertrekwens.",
    "Welke signalen wijzen op toenemende polarisatie, en welke interventie past daarbij?",
]


def money(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def totp_secret(seed: int, email: str) -> str:
    """The coordinator's TOTP secret (base32), derived from the seed; bench/load.py derives
    the same to log in."""
    digest = hmac.new(str(seed).encode(), f"totp:{email}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:20]).decode()


def feed_token(seed: int, user_id: int) -> str:
    """The secret of a user's calendar feed, derived from the seed (load.py polls it)."""
    return hmac.new(str(seed).encode(), f"feed:{user_id}".encode(), hashlib.sha256).hexdigest()


def expert_email(n: int) -> str:
    return f"expert{n:04d}@{DOMAIN}"


def requester_email(municipality_id: int) -> str:
    return f"requester-gm{municipality_id:04d}@{DOMAIN}"


def coordinator_email(n: int) -> str:
    return f"coordinator{n}@{DOMAIN}"


def _local(day: date, hour: int, minute: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=AMS).astimezone(UTC)


def prepare_database(url: str, reset: bool) -> None:
    """Create the PostgreSQL database when missing (dropped first with --reset)."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        if reset and parsed.database and Path(parsed.database).exists():
            Path(parsed.database).unlink()
        return
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                             {"n": parsed.database})
        if exists and reset:
            conn.execute(text(f'DROP DATABASE "{parsed.database}" WITH (FORCE)'))
            exists = False
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


class Builder:
    def __init__(self, db, rng: random.Random, seed: int, now: datetime, secret_key: str):
        self.db = db
        self.rng = rng
        self.seed = seed
        self.now = now
        self.today = now.astimezone(AMS).date()
        self.first_year = self.today.year - HISTORY_YEARS
        self.secret_key = secret_key
        self.counts: dict[str, int] = defaultdict(int)

    def put(self, model, rows: list[dict]) -> None:
        for start in range(0, len(rows), CHUNK):
            self.db.session.execute(insert(model), rows[start:start + CHUNK])
        self.counts[model.__tablename__] += len(rows)

    # --- places, people --------------------------------------------------------------------

    def places(self) -> None:
        from duidingspool.casetables.models import Municipality, SafetyRegion
        from duidingspool.demo_data import EXPERTISE_AREAS
        from duidingspool.experts.models import ExpertiseArea

        rng = self.rng
        regions = []
        for r in range(1, REGIONS + 1):
            word = _REGION_WORDS[(r - 1) % len(_REGION_WORDS)]
            regions.append({"id": r, "code": f"VR{r:02d}",
                            "name": f"Veiligheidsregio {word} {(r - 1) // len(_REGION_WORDS) + 1}"})
        self.put(SafetyRegion, regions)
        names = [h + t for h in _PLACE_HEADS for t in _PLACE_TAILS]
        rng.shuffle(names)
        # Each region a patch of the country: municipalities near its centre.
        centres = {r: (50.9 + rng.random() * 2.4, 3.8 + rng.random() * 3.0) for r in range(1, 26)}
        self.municipality_region, self.coords, rows = {}, {}, []
        for m in range(1, MUNICIPALITIES + 1):
            region = 1 + (m - 1) % REGIONS
            lat = centres[region][0] + rng.uniform(-0.25, 0.25)
            lon = centres[region][1] + rng.uniform(-0.3, 0.3)
            self.municipality_region[m], self.coords[m] = region, (lat, lon)
            rows.append({"id": m, "name": names[m - 1], "cbs_code": f"GM{m:04d}",
                         "safety_region_id": region, "latitude": Decimal(f"{lat:.5f}"),
                         "longitude": Decimal(f"{lon:.5f}")})
        self.put(Municipality, rows)
        self.put(ExpertiseArea, [
            {"id": i, "code": code, "name_nl": nl, "name_en": en, "is_active": True}
            for i, (code, nl, en) in enumerate(EXPERTISE_AREAS, start=1)])
        self.areas = list(range(1, len(EXPERTISE_AREAS) + 1))

    def users(self) -> None:
        from duidingspool.accounts.models import User, UserRole
        from duidingspool.accounts.services import hash_password
        from duidingspool.ical.models import CalendarFeed

        password_hash = hash_password(PASSWORD)  # one Argon2 hash: hashing is slow by design
        fernet_key = hashlib.sha256(b"duidingspool.totp-secret:" + self.secret_key.encode()).digest()
        fernet = Fernet(base64.urlsafe_b64encode(fernet_key))
        created = datetime(self.first_year, 1, 2, 9, tzinfo=UTC)
        users, roles, feeds = [], [], []
        uid = 0

        def add(email, name, role, **extra):
            nonlocal uid
            uid += 1
            users.append({"id": uid, "email": email, "name": name, "password_hash": password_hash,
                          "is_enabled": True, "locale": "nl", "created_at": created,
                          "session_version": 0, "municipality_id": None, "totp_secret": None,
                          "totp_enabled_at": None, **extra})
            roles.append({"user_id": uid, "role": role})
            return uid

        self.coordinators = []
        for n in range(1, COORDINATORS + 1):
            email = coordinator_email(n)
            secret = fernet.encrypt(totp_secret(self.seed, email).encode()).decode()
            self.coordinators.append(add(email, f"Coördinator {_FIRST[n]} {_LAST[n]}", "coordinator",
                                         totp_secret=secret, totp_enabled_at=created))
        add(f"admin@{DOMAIN}", f"Beheerder {_FIRST[9]} {_LAST[9]}", "admin",
            totp_secret=fernet.encrypt(totp_secret(self.seed, f"admin@{DOMAIN}").encode()).decode(),
            totp_enabled_at=created)
        feeds.append({"user_id": self.coordinators[0], "scope": "all"})
        self.requester_of = {}
        for m in range(1, MUNICIPALITIES + 1):
            self.requester_of[m] = add(requester_email(m), f"{self.rng.choice(_FIRST)} "
                                       f"{self.rng.choice(_LAST)}", "requester", municipality_id=m)
        self.expert_user = {}
        for e in range(1, EXPERTS + 1):
            name = f"{_FIRST[e % len(_FIRST)]} {_LAST[(e * 7) % len(_LAST)]}"
            self.expert_user[e] = add(expert_email(e), name, "expert")
            feeds.append({"user_id": self.expert_user[e], "scope": "expert"})
        self.put(User, users)
        self.put(UserRole, roles)
        self.put(CalendarFeed, [
            {**f, "case_table_id": None, "token_hash": hashlib.sha256(
                feed_token(self.seed, f["user_id"]).encode()).hexdigest(), "created_at": created}
            for f in feeds])

    # --- case tables and sessions ----------------------------------------------------------

    def case_tables(self) -> None:
        from duidingspool.casetables.models import CaseTable, Sitting, case_table_municipality

        rng = self.rng
        members = defaultdict(list)
        for m in range(1, MUNICIPALITIES + 1):
            members[1 + (m - 1) % CASE_TABLES].append(m)
        first_monday = date(self.first_year, 1, 1)
        first_monday += timedelta(days=(7 - first_monday.weekday()) % 7)
        until = self.today + timedelta(days=365)
        tables, links, sittings = [], [], []
        self.table_members, self.sittings_of = dict(members), defaultdict(list)
        sid = 0
        for t in range(1, CASE_TABLES + 1):
            host = members[t][0]
            weekday, (hour, minute) = (t - 1) % 5, ((9, 0), (13, 30))[t % 2]
            first_day = first_monday + timedelta(days=weekday)
            first = _local(first_day, hour, minute)
            day_code = ["MO", "TU", "WE", "TH", "FR"][weekday]
            tables.append({"id": t, "name": f"Casustafel {self._name(host)} {t:03d}",
                           "host_organisation": f"Zorg- en Veiligheidshuis {self._name(host)}",
                           "host_municipality_id": host, "address": f"Stationsplein {t}",
                           "contact_email": f"casustafel{t:03d}@{DOMAIN}",
                           "schedule_source": "recurrence", "rrule": f"FREQ=WEEKLY;BYDAY={day_code}",
                           "first_session_start": first, "duration_minutes": 120,
                           "is_active": True, "created_at": first - timedelta(days=30)})
            links += [{"case_table_id": t, "municipality_id": m} for m in members[t]]
            day = first_day
            while day <= until:
                sid += 1
                start = _local(day, hour, minute)
                status = "cancelled" if rng.random() < 0.01 else "scheduled"
                sittings.append({"id": sid, "case_table_id": t, "starts_at": start,
                                 "ends_at": start + timedelta(minutes=120),
                                 "location": f"Stationsplein {t}", "is_online": False,
                                 "status": status, "origin_uid": "rrule", "origin_start": start,
                                 "sequence": 1 if status == "cancelled" else 0,
                                 "created_at": first - timedelta(days=30),
                                 "updated_at": first - timedelta(days=30)})
                if status == "scheduled":
                    self.sittings_of[t].append((sid, start))
                day += timedelta(days=7)
        self.put(CaseTable, tables)
        self.db.session.execute(insert(case_table_municipality), links)
        self.put(Sitting, sittings)

    def _name(self, municipality_id: int) -> str:
        return self._names[municipality_id]

    # --- experts ---------------------------------------------------------------------------

    def experts(self) -> None:
        from duidingspool.experts.models import (
            Absence,
            AvailabilityWindow,
            Expert,
            ExpertConflict,
            ExpertExpertise,
            ExpertLanguage,
            ExpertRate,
        )

        rng = self.rng
        experts, expertise, languages, rates, conflicts, windows, absences = [], [], [], [], [], [], []
        self.rate = {}
        self.expert_areas = {}
        self.expert_home = {}
        created = datetime(self.first_year, 1, 2, 9, tzinfo=UTC)
        for e in range(1, EXPERTS + 1):
            home = rng.randint(1, MUNICIPALITIES)
            self.expert_home[e] = home
            experts.append({"id": e, "user_id": self.expert_user[e], "home_municipality_id": home,
                            "max_travel_km": rng.choice([60, 100, 150, 250]),
                            "max_hours_per_month": rng.choice([16, 24, 32, 40]),
                            "is_active": rng.random() > 0.03,
                            "vog_issued_on": self.today - timedelta(days=rng.randint(30, 600)),
                            "vog_expires_on": self.today + timedelta(days=rng.randint(60, 900)),
                            "confidentiality_signed_on": date(self.first_year, 1, 2),
                            "confidentiality_expires_on": self.today + timedelta(days=rng.randint(90, 900)),
                            "created_at": created})
            areas = rng.sample(self.areas, rng.randint(2, 4))
            self.expert_areas[e] = areas
            expertise += [{"expert_id": e, "expertise_area_id": a, "level": rng.randint(1, 3)}
                          for a in areas]
            languages += [{"expert_id": e, "language": lang}
                          for lang in ["nl"] + rng.sample(["en", "ar", "tr", "so", "ti", "de"],
                                                          rng.randint(0, 2))]
            base = rng.randint(75, 125)
            for year in range(self.first_year, self.today.year + 1):
                self.rate[e, year] = money(base * (Decimal("1.03") ** (year - self.first_year)))
                rates.append({"expert_id": e, "valid_from": date(year, 1, 1),
                              "hourly_rate": self.rate[e, year]})
            if rng.random() < 0.1:
                conflicts.append({"expert_id": e, "municipality_id": rng.randint(1, MUNICIPALITIES)})
            for weekday in sorted(rng.sample(range(5), rng.randint(2, 5))):
                windows.append({"expert_id": e, "weekday": weekday, "start_minute": 8 * 60,
                                "end_minute": 18 * 60})
            if rng.random() < 0.15:
                start = _local(self.today + timedelta(days=rng.randint(1, 90)), 0, 0)
                absences.append({"expert_id": e, "starts_at": start,
                                 "ends_at": start + timedelta(days=rng.randint(3, 21)),
                                 "reason": "Verlof"})
        self.put(Expert, experts)
        self.put(ExpertExpertise, expertise)
        self.put(ExpertLanguage, languages)
        self.put(ExpertRate, rates)
        self.put(ExpertConflict, conflicts)
        self.put(AvailabilityWindow, windows)
        self.put(Absence, absences)
        self.experts_by_area = defaultdict(list)
        for e, areas in self.expert_areas.items():
            for a in areas:
                self.experts_by_area[a].append(e)

    # --- requests, offers, bookings, hours ------------------------------------------------

    def history(self) -> None:
        from duidingspool.bookings.models import Booking, Offer
        from duidingspool.hours.models import HourLine
        from duidingspool.referrals.models import Referral, ReferralExpertise

        rng, now = self.rng, self.now
        referrals, expertise, offers, bookings, lines = [], [], [], [], []
        rid = oid = bid = lid = 0
        busy = defaultdict(set)  # expert -> session starts booked (no overlaps)
        self.spent = defaultdict(Decimal)  # (year, region) -> approved amount
        refs_per_year = defaultdict(int)
        open_cut = now + timedelta(days=21)  # requests are made up to three weeks ahead
        for t, sittings in self.sittings_of.items():
            for sid, start in sittings:
                if start > open_cut:
                    break
                for _ in range(rng.choice((1, 1, 2, 2, 2, 3))):
                    rid += 1
                    municipality = rng.choice(self.table_members[t])
                    created = start - timedelta(days=rng.randint(4, 28), hours=rng.randint(0, 9))
                    if created > now:
                        created = now - timedelta(hours=rng.randint(1, 48))
                    year = start.astimezone(AMS).year
                    refs_per_year[year] += 1
                    urgency = rng.choices(("normal", "high", "urgent"), (80, 15, 5))[0]
                    minutes = rng.choice((60, 90, 120, 120, 180, 240))
                    mode = "online" if rng.random() < 0.1 else "in_person"
                    areas = rng.sample(self.areas, rng.choice((1, 1, 2)))
                    ref = {"id": rid, "reference": f"DV-{created.year}-{rid:06d}",
                           "case_table_id": t, "municipality_id": municipality,
                           "created_by_id": self.requester_of[municipality], "sitting_id": sid,
                           "mode": mode, "language": None, "estimated_minutes": minutes,
                           "urgency": urgency, "urgency_rank": {"urgent": 0, "high": 1}.get(urgency, 2),
                           "case_code": f"NAT-{t:03d}-{rid:06d}", "question": rng.choice(_QUESTIONS),
                           "status": "submitted", "created_at": created, "updated_at": created,
                           "cancelled_at": None, "cancel_reason": None, "completed_at": None}
                    referrals.append(ref)
                    expertise += [{"referral_id": rid, "expertise_area_id": a,
                                   "min_level": rng.randint(1, 2)} for a in areas]
                    future = start > now
                    # The present: some upcoming requests still in the inbox, some offered.
                    if future and start > now + timedelta(days=7):
                        fate = rng.choices(("open", "offered", "booked"), (45, 30, 25))[0]
                    elif future:
                        fate = rng.choices(("open", "offered", "booked"), (10, 15, 75))[0]
                    else:
                        fate = rng.choices(("done", "cancelled", "unfilled"), (94, 4, 2))[0]
                    if fate == "open":
                        continue
                    if fate == "cancelled":
                        ref.update(status="cancelled", cancelled_at=start - timedelta(days=2),
                                   cancel_reason="De casus is eerder afgesloten.",
                                   updated_at=start - timedelta(days=2))
                        continue
                    candidates = [e for e in self.experts_by_area[areas[0]] if start not in busy[e]]
                    chosen = rng.sample(candidates, 3)
                    offered_at = created + timedelta(hours=rng.randint(2, 30))
                    if future:  # offered (and answered) between the request and now
                        offered_at = created + (now - created) * rng.uniform(0.2, 0.6)
                    if fate == "offered":
                        oid += 1
                        offers.append(self._offer(oid, rid, chosen[0], "pending", offered_at,
                                                  min(offered_at + timedelta(hours=48), start)))
                        if offers[-1]["expires_at"] <= now:
                            offers[-1]["expires_at"] = min(now + timedelta(hours=6), start)
                        ref.update(status="offered", updated_at=offered_at)
                        continue
                    if fate == "unfilled":
                        oid += 1
                        offers.append(self._offer(oid, rid, chosen[0], "expired", offered_at,
                                                  offered_at + timedelta(hours=48)))
                        ref.update(status="unfilled", updated_at=offered_at + timedelta(hours=48))
                        continue
                    if rng.random() < 0.12:  # the first expert asked said no
                        oid += 1
                        offers.append(self._offer(oid, rid, chosen[1], "declined", offered_at,
                                                  offered_at + timedelta(hours=48),
                                                  responded_at=offered_at + timedelta(hours=5),
                                                  decline_reason="Die dag al elders ingepland."))
                        offered_at += timedelta(hours=6)
                    expert = chosen[0]
                    busy[expert].add(start)
                    accepted = offered_at + timedelta(hours=rng.randint(1, 30))
                    if future:
                        accepted = offered_at + (now - offered_at) * rng.uniform(0.2, 0.9)
                    oid += 1
                    offers.append(self._offer(oid, rid, expert, "accepted", offered_at,
                                              offered_at + timedelta(hours=48), responded_at=accepted))
                    bid += 1
                    ended = start + timedelta(minutes=120) <= now
                    booking_status = "completed" if ended else "confirmed"
                    bookings.append({"id": bid, "referral_id": rid, "offer_id": oid,
                                     "expert_id": expert, "sitting_id": sid, "starts_at": start,
                                     "ends_at": start + timedelta(minutes=120),
                                     "status": booking_status, "estimated_minutes": minutes,
                                     "case_table_id": t,
                                     "calendar_uid": hashlib.sha256(
                                         f"{self.seed}:{bid}".encode()).hexdigest()[:32],
                                     "sequence": 0, "created_at": accepted, "updated_at": accepted,
                                     "cancelled_at": None, "cancel_reason": None, "conflict": None})
                    ref.update(status="completed" if ended else "booked", updated_at=accepted,
                               completed_at=min(start + timedelta(hours=3), now) if ended else None)
                    if ended:
                        lid = self._lines(lines, lid, bid, expert, municipality, start, minutes, mode)
        self.put(Referral, referrals)
        self.put(ReferralExpertise, expertise)
        self.put(Offer, offers)
        self.put(Booking, bookings)
        self.put(HourLine, lines)
        self.refs_per_year = refs_per_year

    def _offer(self, oid, rid, expert, status, offered_at, expires_at, *, responded_at=None,
               decline_reason=None) -> dict:
        return {"id": oid, "referral_id": rid, "expert_id": expert, "status": status,
                "queue_position": 0, "starts_at": None, "ends_at": None, "offered_at": offered_at,
                "expires_at": expires_at, "responded_at": responded_at,
                "decline_reason": decline_reason, "budget_override_reason": None,
                "created_by_id": self.rng.choice(self.coordinators), "created_at": offered_at}

    def _lines(self, lines, lid, bid, expert, municipality, start, estimated, mode) -> int:
        """A completed booking's hour lines: approved ten days after the session, submitted
        (waiting for the coordinator) before that, a few rejected."""
        rng = self.rng
        year = start.astimezone(AMS).year
        rate = self.rate[expert, year]
        decided = start + timedelta(days=10)
        waiting = decided > self.now
        parts = [("attendance", 120), ("preparation", rng.choice((30, 45, 60, 90)))]
        if mode == "in_person":
            parts.append(("travel", rng.choice((30, 45, 60, 75, 90))))
        if rng.random() < 0.85:
            parts.append(("written_advice", rng.choice((30, 60, 90, 120))))
        if rng.random() < 0.65:
            parts.append(("follow_up", rng.choice((15, 30, 45, 60))))
        for category, minutes in parts:
            lid += 1
            km = Decimal(rng.randint(10, 160)) if category == "travel" else None
            amount = money(Decimal(minutes) / 60 * rate + (km or 0) * Decimal("0.23"))
            status = "submitted" if waiting else ("rejected" if rng.random() < 0.01 else "approved")
            lines.append({"id": lid, "booking_id": bid, "category": category, "minutes": minutes,
                          "kilometres": km, "note": None, "status": status,
                          "submitted_at": start + timedelta(days=2),
                          "decided_at": None if waiting else decided,
                          "decided_by_id": None if waiting else self.coordinators[0],
                          "reject_reason": "Dubbel geboekt." if status == "rejected" else None,
                          "amount": amount, "created_at": start + timedelta(days=1)})
            if status == "approved":
                self.spent[year, self.municipality_region[municipality]] += amount
        return lid

    def budgets(self) -> None:
        from duidingspool.budget.models import Budget, BudgetAllocation, BudgetThreshold

        created = datetime(self.first_year - 1, 12, 1, 9, tzinfo=UTC)
        for year in range(self.first_year, self.today.year + 2):
            by_region = {r: self.spent.get((year, r), Decimal(0)) for r in range(1, REGIONS + 1)}
            spent = sum(by_region.values())
            if year == self.today.year:  # the year so far: about 80 % of its budget in the end
                elapsed = (self.today.timetuple().tm_yday) / 365
                total = money(spent / Decimal(str(max(elapsed, 0.05))) * Decimal("1.15"))
            elif year > self.today.year:  # next year's, in draft
                total = money(self.last_total * Decimal("1.03"))
            else:
                total = money(spent * Decimal("1.08"))
            self.last_total = total
            budget_id = self.db.session.execute(insert(Budget).returning(Budget.id), [
                {"year": year, "amount": total, "km_rate": Decimal("0.23"), "created_at": created}
            ]).scalar_one()
            self.put(BudgetThreshold, [{"budget_id": budget_id, "percent": p} for p in (75, 90, 100)])
            if year <= self.today.year:
                share = total / REGIONS
                self.put(BudgetAllocation, [
                    {"budget_id": budget_id, "safety_region_id": r, "amount": money(share)}
                    for r in range(1, REGIONS + 1)])
            self.counts["budget"] += 1
            created = datetime(year, 12, 1, 9, tzinfo=UTC)

    def finish(self) -> None:
        """Sequences after explicit ids (PostgreSQL), statistics for the planner."""
        if self.db.engine.dialect.name == "postgresql":
            for table in self.db.metadata.sorted_tables:
                pk = list(table.primary_key.columns)
                if len(pk) == 1 and isinstance(pk[0].type, sa.Integer) and pk[0].autoincrement:
                    self.db.session.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', '{pk[0].name}'),"
                        f" COALESCE((SELECT max({pk[0].name}) FROM {table.name}), 0) + 1, false)"
                        f" WHERE pg_get_serial_sequence('{table.name}', '{pk[0].name}') IS NOT NULL"))


def check_tallies(db) -> list[str]:
    """Compare the trigger-kept tallies with a recount from the rows (the test suite's checks,
    summarised): a mismatch means the bulk writes escaped a trigger."""
    problems = []
    checks = {
        "hour_tally approved minutes": (
            "SELECT COALESCE(sum(approved_minutes), 0) FROM hour_tally",
            "SELECT COALESCE(sum(minutes), 0) FROM hour_line WHERE status = 'approved'"),
        "money_tally spent": (
            "SELECT COALESCE(sum(spent), 0) FROM money_tally",
            "SELECT COALESCE(sum(amount), 0) FROM hour_line WHERE status = 'approved'"),
        "workload_tally bookings": (
            "SELECT COALESCE(sum(bookings), 0) FROM workload_tally",
            "SELECT count(*) FROM booking WHERE status IN ('confirmed', 'completed')"),
        "first_booked_at": (
            "SELECT count(*) FROM referral WHERE first_booked_at IS NOT NULL",
            "SELECT count(DISTINCT referral_id) FROM booking"),
    }
    for name, (kept, counted) in checks.items():
        a, b = db.session.scalar(text(kept)), db.session.scalar(text(counted))
        if a != b:
            problems.append(f"{name}: kept {a}, counted {b}")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--secret-key", default=os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY),
                        help="the web processes' SECRET_KEY (encrypts the TOTP secrets)")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--reset", action="store_true", help="drop and create the database first")
    args = parser.parse_args()

    t0 = time.perf_counter()
    prepare_database(args.database_url, args.reset)
    from flask_migrate import upgrade

    from duidingspool import create_app
    from duidingspool.extensions import db

    app = create_app("production", DATABASE_URL=args.database_url, SECRET_KEY=args.secret_key)
    with app.app_context():
        upgrade()
        if db.session.scalar(text("SELECT count(*) FROM user_account")):
            sys.exit("national: the database is not empty; pass --reset to build it again")
        t1 = time.perf_counter()
        builder = Builder(db, random.Random(args.seed), args.seed, datetime.now(UTC), args.secret_key)
        builder.places()
        from duidingspool.casetables.models import Municipality
        builder._names = {m.id: m.name for m in db.session.scalars(sa.select(Municipality))}
        builder.users()
        builder.case_tables()
        builder.experts()
        steps = {"places, people, sessions, experts": time.perf_counter() - t1}
        t2 = time.perf_counter()
        builder.history()
        steps["requests, offers, bookings, hour lines (triggers included)"] = time.perf_counter() - t2
        builder.budgets()
        builder.finish()
        db.session.commit()
        t3 = time.perf_counter()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        else:
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        steps["VACUUM ANALYZE"] = time.perf_counter() - t3
        problems = check_tallies(db)
        figures = {name: db.session.scalar(text(f"SELECT count(*) FROM {name}")) for name in (
            "safety_region", "municipality", "case_table", "sitting", "expert",
            "availability_window", "referral", "offer", "booking", "hour_line", "budget")}
        present = {
            "open requests": "SELECT count(*) FROM referral WHERE status = 'submitted'",
            "pending offers": "SELECT count(*) FROM offer WHERE status = 'pending'",
            "hours to approve": "SELECT count(*) FROM hour_line WHERE status = 'submitted'",
            "confirmed bookings": "SELECT count(*) FROM booking WHERE status = 'confirmed'",
        }
        for name, sql in present.items():
            figures[name] = db.session.scalar(text(sql))
    for name, value in figures.items():
        print(f"  {name:20} {value:>9,}")
    per_year = ", ".join(f"{y}: {n:,}" for y, n in sorted(builder.refs_per_year.items()))
    print(f"  requests per year    {per_year}")
    for name, seconds in steps.items():
        print(f"  {name}: {seconds:.1f} s")
    print(f"logins: coordinator1@{DOMAIN} (TOTP secret: bench/national.py totp_secret), "
          f"{expert_email(1)}, {requester_email(1)}; password {PASSWORD}")
    if problems:
        sys.exit("national: tallies differ from a recount: " + "; ".join(problems))
    short = [name for name, need in (("referral", 60000), ("booking", 55000), ("hour_line", 250000))
             if figures[name] < need]
    if short:
        sys.exit(f"national: fewer rows than the target in {short}")
    where = make_url(args.database_url).render_as_string()
    print(f"national: built in {time.perf_counter() - t0:.1f} s on {where}")


if __name__ == "__main__":
    main()
