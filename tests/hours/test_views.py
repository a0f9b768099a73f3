"""Hour pages: the expert's form, errors kept, the coordinator's bulk approval."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from duidingspool.db import utcnow
from duidingspool.extensions import db
from duidingspool.hours.models import HourLine
from duidingspool.timeutil import to_local
from tests.hours.helpers import Priced


def test_expert_adds_draft_and_submits(app, login_as):
    world = Priced()
    booking = world.booking("2026-06-30T10:00")
    db.session.commit()
    client = login_as(world.expert.user)

    assert client.get(f"/boekingen/{booking.id}/uren").status_code == 200
    saved = client.post(f"/boekingen/{booking.id}/uren",
                        data={"category": "attendance", "hours": "1,5", "kilometres": "37.5",
                              "action": "draft"})
    assert saved.status_code == 302
    assert client.post(f"/boekingen/{booking.id}/uren/indienen").status_code == 302
    line = db.session.scalar(db.select(HourLine))
    db.session.refresh(line)
    assert (line.status, line.minutes, line.amount) == ("submitted", 90, Decimal("128.63"))


def test_bad_form_rerendered_with_what_was_typed(app, login_as):
    world = Priced()
    booking = world.booking("2026-06-30T10:00")
    db.session.commit()
    page = login_as(world.expert.user).post(
        f"/boekingen/{booking.id}/uren", data={"category": "attendance", "hours": "anderhalf"})
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert 'value="anderhalf"' in html and "Give hours as 1.5 or 1:30." in html


def test_other_expert_gets_404(app, login_as):
    world = Priced()
    booking = world.booking("2026-06-30T10:00")
    other = world.new_expert()
    db.session.commit()
    assert login_as(other.user).get(f"/boekingen/{booking.id}/uren").status_code == 404


def test_coordinator_bulk_approves_ticked_lines(app, login_as):
    world = Priced()
    booking = world.booking("2026-06-30T10:00")
    a = world.line(booking, minutes=60, status="submitted", amount="80.00")
    b = world.line(booking, minutes=30, status="submitted", amount="40.00")
    db.session.commit()
    client = login_as(world.coordinator)

    assert "line-%d" % a.id in client.get("/uren/goedkeuren").get_data(as_text=True)
    no_reason = client.post("/uren/besluiten", data={"line_ids": [str(a.id)],
                                                     "decision": "reject"})
    assert no_reason.status_code == 422
    done = client.post("/uren/besluiten", data={"line_ids": [str(a.id), str(b.id)],
                                                "decision": "approve"})
    assert done.status_code == 302
    db.session.refresh(a)
    db.session.refresh(b)
    assert (a.status, b.status) == ("approved", "approved")


def test_draft_line_delete_button_is_a_visible_link_button(app, login_as):
    world = Priced()
    booking = world.booking("2026-06-30T10:00")
    db.session.commit()
    client = login_as(world.expert.user)
    client.post(f"/boekingen/{booking.id}/uren",
                data={"category": "attendance", "hours": "1", "action": "draft"})

    page = client.get(f"/boekingen/{booking.id}/uren").get_data(as_text=True)

    # Deleting asks first: a visible link to the confirmation page (it was white on white).
    assert re.search(r'<a href="/uren/\d+/verwijderen">Delete…</a>', page)


def test_approvals_page_shows_the_oldest_lines_up_to_its_limit(app, login_as):
    # A national pool has over a thousand lines waiting; the page shows the oldest ones.
    app.config["APPROVALS_PAGE_LINES"] = 2
    world = Priced()
    late = world.booking("2026-07-30T10:00")
    early = world.booking("2026-06-30T10:00")
    newest = world.line(late, minutes=60, status="submitted", amount="80.00")
    oldest = [world.line(early, minutes=m, status="submitted", amount="40.00") for m in (30, 45)]
    db.session.commit()
    html = login_as(world.coordinator).get("/uren/goedkeuren").get_data(as_text=True)
    assert all(f'id="line-{line.id}"' in html for line in oldest)
    assert f'id="line-{newest.id}"' not in html
    assert 'id="lines-shown"' in html and "3" in html


def test_approvals_page_under_its_limit_says_nothing_about_it(app, login_as):
    world = Priced()
    booking = world.booking("2026-06-30T10:00")
    line = world.line(booking, minutes=60, status="submitted", amount="80.00")
    db.session.commit()
    html = login_as(world.coordinator).get("/uren/goedkeuren").get_data(as_text=True)
    assert f'id="line-{line.id}"' in html and 'id="lines-shown"' not in html


def _local_start(days: int) -> str:
    """The Amsterdam wall time at 10:00, `days` from today, as Priced.booking takes it."""
    day = to_local(utcnow()).date() + timedelta(days=days)
    return f"{day.isoformat()}T10:00"


def _booking_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<li id="booking-(\d+)">', html)]


def test_my_hours_lists_upcoming_bookings_then_the_past_a_page_at_a_time(app, login_as):
    app.config["EXPERT_HISTORY_PAGE"] = 2
    world = Priced()
    later, sooner = world.booking(_local_start(3)), world.booking(_local_start(1))
    cancelled_ahead = world.booking(_local_start(2), status="cancelled")
    past = [world.booking(_local_start(-day)) for day in (1, 2, 3)]
    db.session.commit()
    client = login_as(world.expert.user)

    first = client.get("/mijn-uren").get_data(as_text=True)
    last = client.get("/mijn-uren?page=2").get_data(as_text=True)

    for html in (first, last):
        assert _booking_ids(html.partition('id="past"')[0]) == [sooner.id, later.id]
        assert f'href="/boekingen/{sooner.id}/uren"' in html
    assert _booking_ids(first.partition('id="past"')[2]) == [cancelled_ahead.id, past[0].id]
    assert f'href="/boekingen/{past[0].id}/uren"' in first
    assert 'href="/mijn-uren?page=2#past"' in first and "Page 1 of 2" in first
    assert _booking_ids(last.partition('id="past"')[2]) == [past[1].id, past[2].id]
    assert 'href="/mijn-uren?page=1#past"' in last and "Page 2 of 2" in last


def test_my_hours_answers_a_page_past_the_end_or_no_number(app, login_as):
    app.config["EXPERT_HISTORY_PAGE"] = 2
    world = Priced()
    past = [world.booking(_local_start(-day)) for day in (1, 2, 3)]
    db.session.commit()
    client = login_as(world.expert.user)

    beyond, garbage = client.get("/mijn-uren?page=999"), client.get("/mijn-uren?page=abc")

    assert (beyond.status_code, garbage.status_code) == (200, 200)
    assert _booking_ids(beyond.get_data(as_text=True)) == [past[2].id]
    assert _booking_ids(garbage.get_data(as_text=True)) == [past[0].id, past[1].id]


def test_my_hours_without_bookings_says_so(app, login_as):
    world = Priced()
    db.session.commit()

    html = login_as(world.expert.user).get("/mijn-uren").get_data(as_text=True)

    assert "No bookings yet." in html and 'id="past"' not in html
