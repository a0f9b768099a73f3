"""The coordinator's outbox pages."""

from __future__ import annotations

from duidingspool.accounts.models import Role
from duidingspool.extensions import db
from duidingspool.mail import services as mail
from tests import factories as f


def _message():
    return mail.queue(to_address="expert@example.org", subject="Booked: DV-2027-00001",
                      body_text="This booking is confirmed.",
                      ics="BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n",
                      ics_method="REQUEST")


def test_coordinator_sees_the_outbox_with_status_and_attempts(client, login_as, app):
    coordinator = f.user(Role.COORDINATOR, locale="en")
    message = _message()
    db.session.commit()
    login_as(coordinator)

    html = client.get("/postvak-uit/").get_data(as_text=True)

    assert f'id="message-{message.id}"' in html
    assert "expert@example.org" in html and "Booked: DV-2027-00001" in html
    assert "Queued" in html


def test_coordinator_reads_a_message_with_its_calendar(client, login_as, app):
    coordinator = f.user(Role.COORDINATOR, locale="en")
    message = _message()
    db.session.commit()
    login_as(coordinator)

    html = client.get(f"/postvak-uit/{message.id}").get_data(as_text=True)

    assert "This booking is confirmed." in html
    assert "METHOD:REQUEST" in html


def test_unknown_message_is_404(client, login_as, app):
    coordinator = f.user(Role.COORDINATOR, locale="en")
    db.session.commit()
    login_as(coordinator)

    assert client.get("/postvak-uit/999999").status_code == 404


def test_other_roles_cannot_read_the_outbox(client, login_as, app):
    requester = f.user(Role.REQUESTER, locale="en")
    message = _message()
    db.session.commit()
    login_as(requester)

    assert client.get("/postvak-uit/").status_code == 403
    assert client.get(f"/postvak-uit/{message.id}").status_code == 404


def test_outbox_is_paged_newest_first(client, login_as, app, monkeypatch):
    from duidingspool.mail import views

    monkeypatch.setattr(views, "PER_PAGE", 2)
    coordinator = f.user(Role.COORDINATOR, locale="en")
    messages = [_message() for _ in range(5)]
    db.session.commit()
    login_as(coordinator)

    first = client.get("/postvak-uit/").get_data(as_text=True)
    last = client.get("/postvak-uit/?page=3").get_data(as_text=True)

    assert [f'id="message-{m.id}"' in first for m in messages] == [False, False, False, True, True]
    assert "Page 1 of 3" in first
    assert 'href="/postvak-uit/?page=2" rel="next"' in first and 'rel="prev"' not in first
    assert [f'id="message-{m.id}"' in last for m in messages] == [True, False, False, False, False]
    assert 'href="/postvak-uit/?page=2" rel="prev"' in last and 'rel="next"' not in last
    assert client.get("/postvak-uit/?page=4").status_code == 404


def test_outbox_shows_more_than_the_newest_200(client, login_as, app):
    coordinator = f.user(Role.COORDINATOR, locale="en")
    oldest = _message()
    for _ in range(200):
        _message()
    db.session.commit()
    login_as(coordinator)

    pages = client.get("/postvak-uit/").get_data(as_text=True)
    last = client.get("/postvak-uit/?page=5").get_data(as_text=True)

    assert "Page 1 of 5" in pages
    assert f'id="message-{oldest.id}"' in last
