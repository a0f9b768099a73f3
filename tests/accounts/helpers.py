"""Helpers of the accounts tests: TOTP codes, two-factor users, logging in through the forms."""

from __future__ import annotations

import re
import time

import pyotp
from sqlalchemy import select

from duidingspool.accounts import twofactor
from duidingspool.accounts.models import Role
from duidingspool.casetables.models import CaseTable
from duidingspool.extensions import db
from duidingspool.ical import services as ical
from tests import factories as f


def code(secret: str, steps_ahead: int = 0) -> str:
    """The TOTP code of `secret` for the current 30-second step, or one `steps_ahead`."""
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_ahead)


def enable_two_factor(user) -> tuple[str, list[str]]:
    """Turn on two-factor login for `user` through the services; returns secret and codes."""
    secret = twofactor.pending_secret(user=user)
    codes = twofactor.enable(actor=user, password=f.PASSWORD, code=code(secret))
    db.session.commit()
    return secret, codes


def secret_on_page(html: str) -> str:
    return re.search(r'id="totp-secret">([A-Z2-7]+)<', html).group(1)


def recovery_codes_on_page(html: str) -> list[str]:
    block = html.split('id="recovery-codes"')[1].split("</ul>")[0]
    return re.findall(r"<code>([a-z0-9-]+)</code>", block)


def password_login(client, user, password: str = f.PASSWORD, **kw):
    return client.post("/login", data={"email": user.email, "password": password}, **kw)


def requester_with_feed() -> tuple[object, str]:
    """A requester of a town at a case table, with a live case-table feed; (user, feed URL)."""
    town = f.municipality()
    table: CaseTable = f.case_table(municipalities=[town])
    user = f.user(Role.REQUESTER, municipality_obj=town, locale="en")
    _, token = ical.create_feed(actor=user, scope="case_table", case_table_id=table.id)
    db.session.commit()
    return user, f"/calendar/{token}.ics"


def link_tokens(email: str) -> list[str]:
    """The tokens of the password links e-mailed to `email` (read from the outbox), oldest
    first."""
    from duidingspool.mail.models import OutboxMessage

    bodies = db.session.scalars(select(OutboxMessage.body_text).where(
        OutboxMessage.to_address == email).order_by(OutboxMessage.id))
    return [m.group(1) for body in bodies
            for m in [re.search(r"/wachtwoord/instellen/([A-Za-z0-9_-]+)", body)] if m]


def open_link(client, token: str):
    """Open an e-mailed link in `client` (the token moves into its session)."""
    return client.get(f"/wachtwoord/instellen/{token}")


def choose_password(client, password: str, confirmation: str | None = None):
    return client.post("/wachtwoord/instellen", data={
        "password": password,
        "password_confirm": password if confirmation is None else confirmation})
