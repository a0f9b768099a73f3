"""`duidingspool demo`: idempotent demo data that makes the app usable on the day it is run."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from sqlalchemy import func, select

from duidingspool import demo_data
from duidingspool.accounts.models import Role, User
from duidingspool.accounts.services import get_by_email
from duidingspool.audit.models import AuditEvent
from duidingspool.budget.models import Budget
from duidingspool.casetables.models import CaseTable, Municipality, SafetyRegion, Sitting
from duidingspool.demo import load_demo
from duidingspool.experts.models import (
    AvailabilityWindow,
    Expert,
    ExpertConflict,
    ExpertiseArea,
    ExpertRate,
)
from duidingspool.extensions import db
from duidingspool.timeutil import local_day_bounds, to_local

DEMO_LOGINS = demo_data.STAFF + [
    demo_data.DemoUser(e.email, e.name, ("expert",)) for e in demo_data.EXPERTS
]


def _run_demo(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return result


def _row_counts() -> dict[str, int]:
    # The audit trail is append-only: every run adds its own "demo.load" event.
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
        if table.name != AuditEvent.__tablename__
    }


def _today() -> date:
    return to_local(datetime.now(timezone.utc)).date()


def _upcoming(name: str) -> list[Sitting]:
    start_of_today, _end = local_day_bounds(_today())
    return list(db.session.scalars(
        select(Sitting).join(CaseTable).where(CaseTable.name == name,
                                              Sitting.starts_at >= start_of_today)
        .order_by(Sitting.starts_at)
    ))


def test_demo_command_twice_gives_the_same_rows(runner):
    _run_demo(runner)
    counts = _row_counts()
    sittings = set(db.session.execute(select(Sitting.case_table_id, Sitting.starts_at)))
    coordinator = get_by_email("coordinator@example.org")
    coordinator.password_hash = "left-as-it-is"
    db.session.commit()

    _run_demo(runner)

    assert _row_counts() == counts
    assert set(db.session.execute(select(Sitting.case_table_id, Sitting.starts_at))) == sittings
    assert (counts["safety_region"], counts["municipality"], counts["expertise_area"]) == (5, 77, 10)
    assert (counts["case_table"], counts["user_account"], counts["expert"]) == (2, 16, 12)
    assert get_by_email("coordinator@example.org").password_hash == "left-as-it-is"
    events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "demo.load")
                                     .order_by(AuditEvent.id)))
    assert [e.details["users_created"] for e in events] == [16, 0]
    assert [e.details["municipalities"] for e in events] == [77, 77]


def test_demo_command_loads_regions_municipalities_and_areas(runner):
    _run_demo(runner)

    regions = db.session.execute(select(SafetyRegion.code, SafetyRegion.name)
                                 .order_by(SafetyRegion.code)).all()
    rows = db.session.execute(
        select(Municipality.name, Municipality.cbs_code, SafetyRegion.code).join(SafetyRegion)
    ).all()
    areas = set(db.session.scalars(select(ExpertiseArea.name_en)))

    assert [tuple(r) for r in regions] == [
        ("VR04", "IJsselland"), ("VR05", "Twente"), ("VR06", "Noord- en Oost-Gelderland"),
        ("VR07", "Gelderland-Midden"), ("VR08", "Gelderland-Zuid"),
    ]
    by_name = {name: (code, region) for name, code, region in rows}
    assert {name: by_name[name] for name in (
        "Enschede", "Hengelo", "Almelo", "Arnhem", "Ede", "Nijmegen", "Apeldoorn",
        "Doetinchem", "Zwolle", "Deventer",
    )} == {
        "Enschede": ("GM0153", "VR05"), "Hengelo": ("GM0164", "VR05"),
        "Almelo": ("GM0141", "VR05"), "Arnhem": ("GM0202", "VR07"), "Ede": ("GM0228", "VR07"),
        "Nijmegen": ("GM0268", "VR08"), "Apeldoorn": ("GM0200", "VR06"),
        "Doetinchem": ("GM0222", "VR06"), "Zwolle": ("GM0193", "VR04"),
        "Deventer": ("GM0150", "VR04"),
    }
    per_region = {}
    for _name, _code, region in rows:
        per_region[region] = per_region.get(region, 0) + 1
    assert per_region == {"VR04": 11, "VR05": 14, "VR06": 22, "VR07": 15, "VR08": 15}
    assert areas == {
        "Jihadism", "Right-wing extremism", "Left-wing extremism", "Anti-government extremism",
        "Islamic theology", "Online radicalisation", "Returnees and travellers",
        "Mental health and radicalisation", "Family and network support", "Polarisation",
    }


def test_demo_command_loads_case_tables_with_sessions_from_today(runner):
    _run_demo(runner)
    twente = db.session.scalar(select(CaseTable).where(CaseTable.name == "Casustafel Twente"))
    arnhem = db.session.scalar(select(CaseTable).where(CaseTable.name == "Casustafel Arnhem"))

    twente_sittings = _upcoming("Casustafel Twente")
    arnhem_sittings = _upcoming("Casustafel Arnhem")

    assert (twente.host_municipality.name, twente.rrule) == ("Enschede", "FREQ=MONTHLY;BYDAY=2TU")
    assert to_local(twente.first_session_start).time() == time(13, 0)
    assert to_local(twente.first_session_start).date() < _today()
    assert [m.name for m in twente.municipalities] == [
        "Almelo", "Borne", "Dinkelland", "Enschede", "Haaksbergen", "Hellendoorn", "Hengelo",
        "Hof van Twente", "Losser", "Oldenzaal", "Rijssen-Holten", "Tubbergen", "Twenterand",
        "Wierden",
    ]
    assert len(twente_sittings) >= 11
    assert {to_local(s.starts_at).time() for s in twente_sittings} == {time(13, 0)}
    assert {to_local(s.starts_at).weekday() for s in twente_sittings} == {1}
    assert {to_local(s.starts_at).day for s in twente_sittings} <= set(range(8, 15))
    assert {s.ends_at - s.starts_at for s in twente_sittings} == {timedelta(hours=2)}

    assert (arnhem.host_municipality.name, arnhem.rrule) == ("Arnhem", "FREQ=WEEKLY;BYDAY=TH")
    assert {m.safety_region.code for m in arnhem.municipalities} == {"VR07"}
    assert len(arnhem.municipalities) == 15
    assert len(arnhem_sittings) >= 50
    assert to_local(arnhem_sittings[0].starts_at).date() <= _today() + timedelta(days=7)
    assert {to_local(s.starts_at).time() for s in arnhem_sittings} == {time(10, 0)}
    assert {to_local(s.starts_at).weekday() for s in arnhem_sittings} == {3}


def test_demo_command_loads_experts_staff_and_budget(runner):
    _run_demo(runner)
    today = _today()

    experts = list(db.session.scalars(select(Expert)))
    yasmina_rate = db.session.scalar(select(ExpertRate).join(Expert).join(User)
                                     .where(User.email == "yasmina.elkhatib@example.org"))
    twente = get_by_email("casustafel.twente@example.org")
    arnhem = get_by_email("casustafel.arnhem@example.org")
    budgets = list(db.session.scalars(select(Budget)))

    assert len(experts) == 12
    for expert in experts:
        assert expert.user.role_names == {Role.EXPERT}
        assert expert.expertise, expert.user.email
        assert {e.level for e in expert.expertise} <= {1, 2, 3}
        assert "nl" in {lang.language for lang in expert.languages}
        assert [r.valid_from for r in expert.rates] == [date(today.year, 1, 1)]
        assert Decimal("85.00") <= expert.rates[0].hourly_rate <= Decimal("140.00")
        assert expert.vog_expires_on > today
        assert expert.confidentiality_expires_on > today
    lapsing = [e.user.email for e in experts if e.vog_expires_on <= today + timedelta(days=60)]
    assert lapsing == ["senait.tesfaye@example.org"]
    assert len({e.home_municipality_id for e in experts}) == 12
    assert db.session.scalar(select(func.count()).select_from(AvailabilityWindow)) == 25
    assert db.session.scalar(select(func.count()).select_from(ExpertConflict)) == 3
    assert yasmina_rate.hourly_rate == Decimal("125.00")

    assert (twente.role_names, twente.municipality.name) == ({Role.REQUESTER}, "Enschede")
    assert (arnhem.role_names, arnhem.municipality.name) == ({Role.REQUESTER}, "Arnhem")
    assert get_by_email("coordinator@example.org").role_names == {Role.COORDINATOR}
    assert get_by_email("beheer@example.org").role_names == {Role.ADMIN}

    assert [(b.year, b.amount, b.km_rate) for b in budgets] == [
        (today.year, Decimal("125000.00"), Decimal("0.23"))
    ]


def test_demo_command_prints_logins_that_work(runner, app):
    result = _run_demo(runner)

    for login in DEMO_LOGINS:
        assert f"{login.email}  " in result.output
        client = app.test_client()
        response = client.post("/login", data={"email": login.email,
                                               "password": demo_data.DEMO_PASSWORD})
        assert response.status_code == 302, login.email
        with client.session_transaction() as session:
            assert session["_user_id"] == str(get_by_email(login.email).id)
        # The test app context (and its `g`, where Flask-Login keeps the current user)
        # outlives each request, so log out before the next user logs in.
        assert client.post("/logout").status_code == 302
    assert result.output.count(demo_data.DEMO_PASSWORD) == 16
    assert "http://127.0.0.1:5000" in result.output
    assert "EUR 125,000.00" in result.output


def test_load_demo_keeps_local_wall_time_across_daylight_saving(app):
    now = datetime(2026, 2, 20, 9, 0, tzinfo=timezone.utc)

    load_demo(now=now)

    starts = [to_local(s.starts_at) for s in _sittings_between(
        "Casustafel Twente", date(2026, 3, 1), date(2026, 11, 30))]
    assert [s.date() for s in starts] == [
        date(2026, 3, 10), date(2026, 4, 14), date(2026, 5, 12), date(2026, 6, 9),
        date(2026, 7, 14), date(2026, 8, 11), date(2026, 9, 8), date(2026, 10, 13),
        date(2026, 11, 10),
    ]
    assert {s.time() for s in starts} == {time(13, 0)}


def _sittings_between(name: str, first: date, last: date) -> list[Sitting]:
    start, _ = local_day_bounds(first)
    _, end = local_day_bounds(last)
    return list(db.session.scalars(
        select(Sitting).join(CaseTable).where(CaseTable.name == name, Sitting.starts_at >= start,
                                              Sitting.starts_at < end)
        .order_by(Sitting.starts_at)
    ))
