"""Benchmark: the privacy guard's bounded work (issue 14, findings 1 and 12).

Target: a request with a 2 MB question (`POST /api/v1/requests`, bearer token, SQLite) is
answered within 100 ms: the text is refused by its length before any pattern runs. Also
prints the guard's time on within-limit texts built to be hard for it (2,000 characters,
the longest field), and on large raw texts, to show that its work grows linearly with the
text (the old e-mail pattern took 3 s on 40 KB and 700 s on 400 KB).

Run: .venv/bin/python bench/privacy.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402

from duidingspool import create_app  # noqa: E402
from duidingspool.accounts.services import create_token  # noqa: E402
from duidingspool.extensions import db  # noqa: E402
from duidingspool.privacy import find_personal_data  # noqa: E402
from tests.referrals.helpers import world as referral_world  # noqa: E402

TODAY = date(2026, 11, 22)
# Texts that made one pattern or another work hard: long runs without the character a
# pattern waits for, separators repeated, many findings.
HARD = {
    "word run": "a",
    "dotted run": "a.",
    "runs with @": "a@",
    "spelled at/dot": "a at b dot ",
    "digits": "1",
    "digits, spaces": "1 ",
    "digits, dashes": "1-",
    "postcodes": "1234 AB ",
    "phone starts": "06 - ",
    "e-mail addresses": "jan@ex.nl ",
    "mixed": "ab12 cd@ (at) 06-1 1234AB 1.2.3 ",
}


def _timed(func, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _world():
    """A requester with an API token and a case table with a session (the tests' world)."""
    w = referral_world()
    _, token = create_token(actor=None, user=w.requester, name="bench")
    db.session.commit()
    return w, token


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app("development", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp}/bench.sqlite3",
                         SECRET_KEY="bench")
        with app.app_context():
            upgrade()
            w, token = _world()
            body = {"case_table_id": w.table.id, "session_id": w.session.id,
                    "areas": [{"area_id": w.area.id}], "estimated_hours": 2,
                    "question": "BSN 123456782 " + "a" * (2_000_000 - 14)}
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}

        def post():
            response = client.post("/api/v1/requests", json=body, headers=headers)
            assert response.status_code == 422, response.status_code

        print(f"POST /api/v1/requests, 2 MB question: {_timed(post, args.runs):8.1f} ms "
              "(median; target < 100 ms)")

    print("\nThe guard on 2,000 characters (the longest field), median:")
    for name, unit in HARD.items():
        text = (unit * (2000 // len(unit) + 1))[:2000]
        ms = _timed(lambda text=text: find_personal_data(text, today=TODAY), args.runs)
        print(f"  {name:18s} {ms:8.2f} ms")

    print("\nThe guard on large raw texts (never reached through the app), one run each:")
    for size in (40_000, 100_000, 400_000):
        figures = []
        for name, unit in HARD.items():
            text = (unit * (size // len(unit) + 1))[:size]
            figures.append((_timed(lambda text=text: find_personal_data(text, today=TODAY), 1),
                            name))
        ms, name = max(figures)
        print(f"  {size:>7,d} characters: slowest {ms:8.1f} ms ({name})")


if __name__ == "__main__":
    main()
