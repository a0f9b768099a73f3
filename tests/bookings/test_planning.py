"""The coordinator's planning: a month of every case table's sessions with their states."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import event

from duidingspool.accounts.models import Role
from duidingspool.bookings import planning
from duidingspool.bookings.models import Offer, OfferStatus
from duidingspool.casetables.models import SittingStatus
from duidingspool.errors import ValidationFailed
from duidingspool.extensions import db
from duidingspool.referrals.models import ReferralStatus
from tests import factories as f
from tests.bookings.helpers import World, direct_booking

MARCH = datetime(2027, 3, 1, 12, 0, tzinfo=timezone.utc)


def _session(w: World, day: int, *, hour: int = 12, table=None, **kw):
    starts_at = MARCH.replace(day=day, hour=hour)
    return f.sitting(table or w.table, starts_at=starts_at, **kw)


def _march(w: World) -> dict:
    """A month with a session in every state; returns the objects by state."""
    expert = w.expert(user=f.user(Role.EXPERT, name="Fatma Yıldırım"))
    waiting = w.expert(user=f.user(Role.EXPERT, name="Koen Lammers"))
    booked = f.referral(requester=w.requester, on=_session(w, 2), areas=[w.area],
                        status=ReferralStatus.BOOKED)
    direct_booking(booked, expert, created_by=w.coordinator)
    offered = f.referral(requester=w.requester, on=_session(w, 9), areas=[w.area],
                         status=ReferralStatus.OFFERED)
    db.session.add(Offer(referral_id=offered.id, expert_id=waiting.id,
                         status=OfferStatus.PENDING, offered_at=MARCH - timedelta(days=2),
                         expires_at=MARCH + timedelta(days=3), created_by_id=w.coordinator.id))
    opened = f.referral(requester=w.requester, on=_session(w, 16), areas=[w.area])
    unfilled = f.referral(requester=w.requester, on=_session(w, 23), areas=[w.area],
                          status=ReferralStatus.UNFILLED)
    cancelled = _session(w, 30, status=SittingStatus.CANCELLED)
    empty = _session(w, 31)
    db.session.flush()
    return {"booked": booked, "offered": offered, "open": opened, "unfilled": unfilled,
            "cancelled": cancelled, "empty": empty}


def test_month_plan_gives_each_session_its_state_and_people(app):
    w = World()
    made = _march(w)
    _session(w, 1, hour=2)  # 03:00 in Amsterdam on 1 March: this month
    f.sitting(w.table, starts_at=datetime(2027, 2, 28, 23, 30, tzinfo=timezone.utc))  # 1 March local
    f.sitting(w.table, starts_at=datetime(2027, 3, 31, 22, 30, tzinfo=timezone.utc))  # 1 April local (CEST)

    plan = planning.month_plan(planning.Month(2027, 3))

    assert [(s.day, s.state) for s in plan.sessions] == [
        (date(2027, 3, 1), "no_request"), (date(2027, 3, 1), "no_request"),
        (date(2027, 3, 2), "booked"), (date(2027, 3, 9), "offered"),
        (date(2027, 3, 16), "open"), (date(2027, 3, 23), "unfilled"),
        (date(2027, 3, 30), "cancelled"), (date(2027, 3, 31), "no_request")]
    by_day = {s.day: s for s in plan.sessions}
    assert by_day[date(2027, 3, 2)].requests == [planning.PlanRequest(
        referral_id=made["booked"].id, reference=made["booked"].reference, state="booked",
        expert_name="Fatma Yıldırım")]
    offered = by_day[date(2027, 3, 9)].requests[0]
    assert (offered.state, offered.expert_name, offered.answer_before) == (
        "offered", "Koen Lammers", MARCH + timedelta(days=3))
    assert plan.counts == {"open": 1, "offered": 1, "unfilled": 1, "booked": 1,
                           "cancelled": 1, "no_request": 3}
    assert plan.weeks[0] == [date(2027, 3, d) for d in range(1, 8)]
    assert plan.weeks[-1][:3] == [date(2027, 3, 29), date(2027, 3, 30), date(2027, 3, 31)]
    assert plan.weeks[-1][3:] == [None] * 4
    assert (plan.previous.key, plan.next.key) == ("2027-02", "2027-04")


def test_month_plan_takes_four_queries_however_many_sessions(app):
    w = World()
    _march(w)
    db.session.commit()

    def queries_for_march() -> int:
        count = 0

        def counted(*_args, **_kwargs):
            nonlocal count
            count += 1

        db.session.expire_all()
        event.listen(db.engine, "before_cursor_execute", counted)
        try:
            planning.month_plan(planning.Month(2027, 3))
        finally:
            event.remove(db.engine, "before_cursor_execute", counted)
        return count

    few = queries_for_march()
    for day in range(3, 8):
        f.referral(requester=w.requester, on=_session(w, day), areas=[w.area])
    db.session.commit()

    assert queries_for_march() == few == 4


@pytest.mark.parametrize("raw", ["2027-13", "2027-00", "27-03", "maart", "1999-12", "2027-3"])
def test_parse_month_refuses_what_is_not_a_month(raw):
    with pytest.raises(ValidationFailed) as refused:
        planning.parse_month(raw, today=date(2026, 11, 27))
    assert list(refused.value.fields) == ["maand"]


def test_parse_month_defaults_to_this_month():
    assert planning.parse_month(None, today=date(2026, 11, 27)) == planning.Month(2026, 11)
    assert planning.parse_month("2027-01", today=date(2026, 11, 27)) == planning.Month(2027, 1)
    assert planning.Month(2026, 12).shifted(1) == planning.Month(2027, 1)
    assert planning.Month(2027, 1).shifted(-1) == planning.Month(2026, 12)


def test_planning_page_shows_the_month_as_calendar_and_list_with_links_to_act(app, as_user):
    w = World()
    made = _march(w)

    response = as_user(w.coordinator).get("/planning?maand=2027-03")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>Planning March 2027</h1>" in html
    assert 'href="/planning?maand=2027-02" rel="prev"' in html
    assert 'href="/planning?maand=2027-04" rel="next"' in html
    grid = html.split('id="month-calendar"')[1].split("</table>")[0]
    listed = html.split('id="planning-list"')[1].split("</section>")[0]
    for part in (grid, listed):
        assert f'href="/verzoeken/{made["booked"].id}#booking"' in part
        assert f'href="/verzoeken/{made["offered"].id}#offers"' in part
        assert f'href="/verzoeken/{made["open"].id}#offer"' in part
        assert f'href="/verzoeken/{made["unfilled"].id}"' in part
        assert "Fatma Yıldırım" in part and "Koen Lammers" in part
        for label in ("Booked", "Offered, waiting for an answer", "Open: waiting for an offer",
                      "Unfilled", "Cancelled", "No request"):
            assert label in part
        empty = made["empty"]
        assert (f'href="/beheer/casustafels/{empty.case_table_id}/zittingen/{empty.id}"'
                in part)
    assert '<th scope="col">Monday</th>' in grid
    assert "<h3>Tuesday 2 March</h3>" in listed


def test_planning_list_view_alone_and_the_nav_link(app, as_user):
    w = World()
    _march(w)

    html = as_user(w.coordinator).get("/planning?maand=2027-03&weergave=lijst").get_data(
        as_text=True)

    assert 'id="month-calendar"' not in html and 'id="planning-list"' in html
    assert 'href="/planning?maand=2027-04&amp;weergave=lijst" rel="next"' in html
    assert re.search(r'<a class="[^"]*" href="/planning"[^>]*>Planning</a>', html)


def test_planning_of_a_month_without_sessions(app, as_user):
    w = World()

    html = as_user(w.coordinator).get("/planning?maand=2030-01").get_data(as_text=True)

    assert "No sessions in this month." in html


def test_planning_with_a_bad_month_says_so_at_the_field(app, as_user):
    w = World()

    response = as_user(w.coordinator).get("/planning?maand=2027-13")

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "error-summary" in html and 'data-error-summary' in html
    assert 'id="maand-errors"' in html and "e.g. 2026-12" in html
    assert 'value="2027-13"' in html


@pytest.mark.parametrize("role", [Role.REQUESTER, Role.EXPERT, Role.ADMIN])
def test_planning_is_for_the_coordinator_only(app, as_user, role):
    assert as_user(f.user(role)).get("/planning").status_code == 403
