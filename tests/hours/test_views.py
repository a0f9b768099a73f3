"""Hour pages: the expert's form, errors kept, the coordinator's bulk approval."""

from __future__ import annotations

import re
from decimal import Decimal

from duidingspool.extensions import db
from duidingspool.hours.models import HourLine
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
