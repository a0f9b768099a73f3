"""API error messages follow Accept-Language (nl or en), else the user's own language."""

from __future__ import annotations

import pytest

from duidingspool.accounts.models import Role
from duidingspool.extensions import db
from tests import factories as f

DUTCH = ("Niet alle velden zijn goed ingevuld.", ["Kies minstens één expertisegebied."])
ENGLISH = ("Some fields are not filled in correctly.", ["Choose at least one expertise area."])


@pytest.mark.parametrize(("user_locale", "header", "expected"), [
    ("en", "nl", DUTCH),
    ("nl", "en", ENGLISH),
    ("en", "nl-NL,nl;q=0.9,en;q=0.5", DUTCH),
    ("nl", "de, en-GB;q=0.8", ENGLISH),
    ("en", None, ENGLISH),  # no header: the user's language
    ("nl", None, DUTCH),
    ("nl", "de", DUTCH),  # neither nl nor en asked: the user's language
])
def test_api_422_follows_accept_language_else_the_users_language(app, login_as, user_locale,
                                                                 header, expected):
    requester = f.user(Role.REQUESTER, municipality_obj=f.municipality(), locale=user_locale)
    db.session.commit()
    headers = {"Accept-Language": header} if header else {}

    response = login_as(requester).post("/api/v1/requests", json={"estimated_hours": 2},
                                        headers=headers)

    assert response.status_code == 422
    error = response.json["error"]
    assert (error["message"], error["fields"]["areas"]) == expected
