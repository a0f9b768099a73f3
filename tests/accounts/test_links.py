"""Single-use links to choose a password: invitations (72 hours) and forgotten passwords
(1 hour), stored only as hashes, used once (also when two uses race), answered alike for
unknown addresses, rate limited like logging in, ending the user's other sessions; their
e-mails are sensitive in the outbox and the token stays out of the logs."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from duidingspool.accounts import links, throttle
from duidingspool.accounts.access import hash_token
from duidingspool.accounts.models import AccountLink, LinkPurpose, Role, User
from duidingspool.accounts.views import LinkTokenFilter
from duidingspool.audit.models import AuditEvent
from duidingspool.db import utcnow
from duidingspool.errors import NotFound
from duidingspool.extensions import db
from duidingspool.mail import services as mail
from duidingspool.mail.models import MailStatus, OutboxMessage
from tests import factories as f
from tests.accounts.helpers import (choose_password, link_tokens, open_link, password_login,
                                    requester_with_feed)
from tests.mail.test_services import FakeSMTP

NEW_PASSWORD = "zilveren-molen-kompas-42"
INVALID_NL = "Deze link werkt niet meer"


def _text(response) -> str:
    return response.get_data(as_text=True)


def _invite(admin=None, **kw) -> User:
    town = f.municipality()
    user = links.create_and_invite(actor=admin, email=kw.pop("email", "nieuw@example.org"),
                                   name=kw.pop("name", "Noor Nieuwenhuis"),
                                   roles=kw.pop("roles", [Role.REQUESTER]),
                                   municipality_id=town.id, **kw)
    db.session.commit()
    return user


def _actions(user_id: int) -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.object_type == "user_account", AuditEvent.object_id == user_id)
        .order_by(AuditEvent.id)))


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


# --- issuing ---------------------------------------------------------------------------------

def test_invitation_stores_only_the_hash_of_its_token(app):
    admin = f.user(Role.ADMIN)
    user = _invite(admin)

    [token] = link_tokens(user.email)
    [link] = db.session.scalars(select(AccountLink)).all()
    row = db.session.execute(select(AccountLink.__table__)).one()

    assert link.token_hash == hash_token(token) and link.purpose == "invite"
    assert all(token not in str(value) for value in row)
    assert link.expires_at - link.created_at == timedelta(hours=72)
    assert not user.has_password and user.password_hash.startswith("!")
    assert _actions(user.id) == ["user.create", "user.link_issue"]


def test_invitation_mail_is_dutch_sensitive_and_names_no_case(app):
    user = _invite(f.user(Role.ADMIN))

    [message] = db.session.scalars(select(OutboxMessage)).all()

    assert message.to_address == user.email and message.sensitive is True
    assert message.subject == "Welkom bij Duidingspool: kies uw wachtwoord"
    assert "Beste Noor Nieuwenhuis," in message.body_text
    assert "http://127.0.0.1:5000/wachtwoord/instellen/" in message.body_text
    assert "http://127.0.0.1:5000/wachtwoord/vergeten" in message.body_text


def test_invitation_mail_follows_the_users_language(app):
    user = _invite(f.user(Role.ADMIN), roles=[Role.COORDINATOR], locale="en")

    [message] = db.session.scalars(select(OutboxMessage)).all()

    assert message.subject == "Welcome to Duidingspool: choose your password"
    assert "Your role asks for two-factor login" in message.body_text
    assert user.municipality_id is None  # only requesters belong to a municipality


def test_newer_link_of_the_same_purpose_revokes_the_older(app, client):
    user = f.user(Role.EXPERT)
    links.request_reset(email=user.email)
    links.request_reset(email=user.email)
    db.session.commit()
    first, second = link_tokens(user.email)

    assert links.find(first) is None
    assert links.find(second).user_id == user.id


# --- expiry ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("purpose", "hours"),
                         [(LinkPurpose.INVITE, 72), (LinkPurpose.RESET, 1)])
def test_link_works_until_its_expiry_and_not_after(app, purpose, hours):
    user = f.user(Role.EXPERT)
    issued = utcnow() - timedelta(hours=hours)
    links.issue(actor=None, user=user, purpose=purpose, now=issued)
    [token] = link_tokens(user.email)

    assert links.find(token, now=issued + timedelta(hours=hours, seconds=-1)) is not None
    assert links.find(token, now=issued + timedelta(hours=hours)) is None
    with pytest.raises(NotFound, match=INVALID_NL):
        links.use(token=token, password=NEW_PASSWORD, confirmation=NEW_PASSWORD)


def test_expired_link_page_says_so_in_dutch_and_offers_a_new_one(app, client):
    user = f.user(Role.EXPERT)
    links.issue(actor=None, user=user, purpose=LinkPurpose.RESET,
                now=utcnow() - timedelta(hours=2))
    db.session.commit()
    [token] = link_tokens(user.email)

    open_link(client, token)
    page = client.get("/wachtwoord/instellen")

    assert page.status_code == 404
    assert INVALID_NL in _text(page)
    assert 'href="/wachtwoord/vergeten"' in _text(page)


def test_unknown_token_gets_the_same_page(app, client):
    open_link(client, "bestaat-niet")
    page = client.get("/wachtwoord/instellen")

    assert page.status_code == 404 and INVALID_NL in _text(page)


# --- using a link ----------------------------------------------------------------------------

def test_invited_user_chooses_a_password_and_logs_in(app, client):
    user = _invite(f.user(Role.ADMIN))
    [token] = link_tokens(user.email)

    opened = open_link(client, token)
    form = client.get("/wachtwoord/instellen")
    chosen = choose_password(client, NEW_PASSWORD)

    assert opened.status_code == 302 and opened.headers["Location"] == "/wachtwoord/instellen"
    assert opened.headers["Referrer-Policy"] == "no-referrer"
    assert form.status_code == 200 and "Noor Nieuwenhuis" in _text(form)
    assert token not in _text(form)
    assert chosen.headers["Location"] == "/login"
    assert password_login(app.test_client(), user, NEW_PASSWORD).status_code == 302
    assert _actions(user.id)[-4:] == ["user.link_use", "user.password", "user.sessions_end",
                                      "login.success"]


def test_link_works_once(app, client):
    user = _invite(f.user(Role.ADMIN))
    [token] = link_tokens(user.email)
    open_link(client, token)
    choose_password(client, NEW_PASSWORD)

    again = app.test_client()
    open_link(again, token)
    page = again.get("/wachtwoord/instellen")
    reused = choose_password(again, "een-ander-wachtwoord-99")

    assert page.status_code == 404 and INVALID_NL in _text(page)
    assert reused.status_code == 404
    assert password_login(app.test_client(), user, NEW_PASSWORD).status_code == 302


def test_refused_password_keeps_the_link_usable(app, client):
    user = _invite(f.user(Role.ADMIN))
    [token] = link_tokens(user.email)
    open_link(client, token)

    common = choose_password(client, "Wachtwoord123!")
    different = choose_password(client, NEW_PASSWORD, "iets-anders-helemaal-1")
    chosen = choose_password(client, NEW_PASSWORD)

    assert common.status_code == 422 and 'id="password-errors"' in _text(common)
    assert different.status_code == 422 and 'id="password_confirm-errors"' in _text(different)
    assert chosen.status_code == 302


def test_using_a_link_revokes_the_users_other_links(app, client):
    user = _invite(f.user(Role.ADMIN))
    links.request_reset(email=user.email)
    db.session.commit()
    invitation, reset = link_tokens(user.email)

    open_link(client, reset)
    choose_password(client, NEW_PASSWORD)

    assert links.find(invitation) is None


def test_link_of_a_deactivated_user_no_longer_works(app, client):
    user = _invite(f.user(Role.ADMIN))
    [token] = link_tokens(user.email)
    db.session.get(User, user.id).is_enabled = False
    db.session.commit()

    open_link(client, token)

    assert client.get("/wachtwoord/instellen").status_code == 404


def test_using_a_reset_link_ends_other_sessions_and_revokes_feeds(app, client):
    user, feed_url = requester_with_feed()
    sessions = [app.test_client(), app.test_client()]
    for other in sessions:
        assert password_login(other, user).status_code == 302
    links.request_reset(email=user.email)
    db.session.commit()
    [token] = link_tokens(user.email)

    open_link(client, token)
    choose_password(client, NEW_PASSWORD)

    for other in sessions:
        assert other.get("/verzoeken/").headers["Location"].startswith("/login")
    assert app.test_client().get(feed_url).status_code == 404
    assert password_login(app.test_client(), user, f.PASSWORD).status_code == 401


def _use_at_once(app, token: str, passwords: list[str]) -> list[int]:
    """Each password chosen with the same link from its own client, all at once."""
    clients = []
    for _ in passwords:
        client = app.test_client()
        open_link(client, token)
        clients.append(client)
    barrier = threading.Barrier(len(passwords))
    statuses: list = [None] * len(passwords)

    def worker(index: int):
        barrier.wait(timeout=30)
        statuses[index] = choose_password(clients[index], passwords[index]).status_code

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(passwords))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


def test_two_uses_of_one_link_at_once_only_one_wins(app):
    user = _invite(f.user(Role.ADMIN))
    [token] = link_tokens(user.email)
    passwords = ["eerste-wachtwoord-lang-1", "tweede-wachtwoord-lang-2"]

    statuses = _use_at_once(app, token, passwords)

    assert sorted(statuses) == [302, 404], statuses
    winner = passwords[statuses.index(302)]
    loser = passwords[statuses.index(404)]
    assert password_login(app.test_client(), user, winner).status_code == 302
    assert password_login(app.test_client(), user, loser).status_code == 401
    db.session.expire_all()
    assert _actions(user.id).count("user.link_use") == 1


# --- forgotten password ----------------------------------------------------------------------

def test_login_page_links_to_forgotten_password(client, app):
    page = client.get("/login")

    assert 'href="/wachtwoord/vergeten"' in _text(page) and "Wachtwoord vergeten?" in _text(page)


def test_forgotten_password_answers_the_same_for_unknown_addresses(app, client):
    user = f.user(Role.EXPERT, email="bekend@example.org")
    db.session.commit()

    known = client.post("/wachtwoord/vergeten", data={"email": "Bekend@example.org"})
    unknown = client.post("/wachtwoord/vergeten", data={"email": "onbekend@example.org"})

    assert known.status_code == unknown.status_code == 200
    assert (_text(known).replace("Bekend@example.org", "X")
            == _text(unknown).replace("onbekend@example.org", "X"))
    assert "Als Bekend@example.org bij een account hoort" in _text(known)
    [message] = db.session.scalars(select(OutboxMessage)).all()
    assert message.to_address == user.email and message.sensitive
    assert message.subject == "Duidingspool: kies een nieuw wachtwoord"
    [link] = db.session.scalars(select(AccountLink)).all()
    assert (link.purpose, link.expires_at - link.created_at) == ("reset", timedelta(hours=1))


def test_forgotten_password_of_a_deactivated_user_sends_nothing(app, client):
    user = f.user(Role.EXPERT, is_enabled=False)
    db.session.commit()

    answer = client.post("/wachtwoord/vergeten", data={"email": user.email})

    assert answer.status_code == 200
    assert _count(OutboxMessage) == 0 and _count(AccountLink) == 0


def test_forgotten_password_answer_takes_the_minimum_time(app, client):
    app.config["PASSWORD_RESET_MIN_SECONDS"] = 0.3

    started = time.monotonic()
    client.post("/wachtwoord/vergeten", data={"email": "onbekend@example.org"})

    assert time.monotonic() - started >= 0.3


def test_forgotten_password_is_limited_per_e_mail_address(app):
    app.config["PASSWORD_RESET_LIMIT_PER_ACCOUNT"] = "2 per 15 minutes"
    user = f.user(Role.EXPERT)
    db.session.commit()
    answers = [app.test_client().post("/wachtwoord/vergeten", data={"email": user.email},
                                      environ_base={"REMOTE_ADDR": f"192.0.2.{i}"})
               for i in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert int(answers[2].headers["Retry-After"]) > 0
    assert "Te veel aanvragen" in _text(answers[2])
    assert len(link_tokens(user.email)) == 2


def test_forgotten_password_is_limited_per_address_for_unknown_addresses_too(app, client):
    app.config["PASSWORD_RESET_LIMIT_PER_ADDRESS"] = "2 per 15 minutes"

    answers = [client.post("/wachtwoord/vergeten", data={"email": f"iemand{i}@example.org"})
               for i in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]


def test_forgotten_password_limits_default_to_the_login_limits(app):
    assert app.config["PASSWORD_RESET_LIMIT_PER_ACCOUNT"] is None
    with app.test_request_context():
        assert throttle._limit("PASSWORD_RESET_LIMIT_PER_ACCOUNT") == \
            app.config["LOGIN_LIMIT_PER_ACCOUNT"]
        assert throttle._limit("PASSWORD_RESET_LIMIT_PER_ADDRESS") == \
            app.config["LOGIN_LIMIT_PER_ADDRESS"]


# --- the outbox and the logs -----------------------------------------------------------------

def test_outbox_never_shows_the_link(app, login_as):
    user = _invite(f.user(Role.ADMIN))
    [token] = link_tokens(user.email)
    coordinator = f.user(Role.COORDINATOR, locale="en")
    db.session.commit()
    message_id = db.session.scalar(select(OutboxMessage.id))
    client = login_as(coordinator)

    listing = client.get("/postvak-uit/")
    page = client.get(f"/postvak-uit/{message_id}")

    assert page.status_code == 200 and "(link hidden)" in _text(page)
    assert token not in _text(page) and token not in _text(listing)
    assert "/wachtwoord/instellen/" not in _text(page)


def test_sent_link_message_is_blanked(app):
    _invite(f.user(Role.ADMIN))
    FakeSMTP.sent, FakeSMTP.broken, FakeSMTP.connect_fails = [], False, False
    app.config.update(SMTP_HOST="smtp.example.org", SMTP_PORT=587)

    assert mail.send_due(smtp_factory=FakeSMTP) == (1, 0)

    [sent] = FakeSMTP.sent
    message = db.session.scalars(select(OutboxMessage)).one()
    assert "/wachtwoord/instellen/" in sent.get_content()
    assert message.status == MailStatus.SENT and message.body_text == mail.BLANKED_TEXT


def test_link_token_never_reaches_the_log(app, client, caplog):
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1,
                               '127.0.0.1 - - "GET /wachtwoord/instellen/%s HTTP/1.1" 302 -',
                               ("geheim-token_123",), None)

    LinkTokenFilter().filter(record)

    assert record.getMessage() == \
        '127.0.0.1 - - "GET /wachtwoord/instellen/[redacted] HTTP/1.1" 302 -'
    assert any(isinstance(flt, LinkTokenFilter) for flt in logging.getLogger("werkzeug").filters)


def test_an_encoded_link_token_never_reaches_the_log(app):
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1,
                               '127.0.0.1 - - "GET /wachtwoord%%2Finstellen%%2F%s HTTP/1.1" 302 -',
                               ("geheim-token_123",), None)

    LinkTokenFilter().filter(record)

    assert record.getMessage() == \
        '127.0.0.1 - - "GET /wachtwoord/instellen/[redacted] HTTP/1.1" 302 -'


def test_forgotten_password_without_address_shows_the_message_at_the_field(app, client):
    response = client.post("/wachtwoord/vergeten", data={"email": "  "})

    page = _text(response)
    assert response.status_code == 422
    assert 'id="email-errors"' in page  # at the field
    assert 'aria-describedby="email-errors" aria-invalid="true"' in page  # tied to it
    assert '<a class="utrecht-link utrecht-link--html-a" href="#email">E-mailadres: ' in page  # summary
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
