"""Admin pages for expertise areas."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from duidingspool.accounts.models import Role
from duidingspool.experts.models import ExpertiseArea
from duidingspool.extensions import db
from tests import factories as f

FORM = {"code": "returnees", "name_nl": "Terugkeerders en uitreizigers",
        "name_en": "Returnees and travellers", "description": "Rückkehrer"}


@pytest.mark.parametrize("role", [Role.REQUESTER, Role.EXPERT, Role.COORDINATOR])
@pytest.mark.parametrize("path", ["/beheer/expertisegebieden", "/beheer/expertisegebieden/nieuw"])
def test_area_pages_forbidden_for_non_admins(app, as_user, role, path):
    assert as_user(f.user(role)).get(path).status_code == 403


def test_area_list(app, as_user, admin):
    area = f.expertise_area(name_nl="Jihadisme")

    page = as_user(admin).get("/beheer/expertisegebieden").get_data(as_text=True)

    assert "Jihadisme" in page
    assert f"/beheer/expertisegebieden/{area.id}" in page


def test_create_area(app, as_user, admin):
    response = as_user(admin).post("/beheer/expertisegebieden/nieuw", data=FORM)

    assert response.status_code == 302
    area = db.session.scalars(select(ExpertiseArea)).one()
    assert (area.code, area.name_en, area.description) == (
        "returnees", "Returnees and travellers", "Rückkehrer")


def test_create_area_invalid_rerenders_with_values(app, as_user, admin):
    existing = f.expertise_area()

    response = as_user(admin).post("/beheer/expertisegebieden/nieuw", data={
        **FORM, "code": existing.code, "name_en": ""})

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="name_en-errors"' in page
    assert 'value="Terugkeerders en uitreizigers"' in page
    assert db.session.scalars(select(ExpertiseArea)).all() == [existing]


def test_create_area_duplicate_code_rerenders(app, as_user, admin):
    existing = f.expertise_area()

    response = as_user(admin).post("/beheer/expertisegebieden/nieuw",
                                   data={**FORM, "code": existing.code})

    assert response.status_code == 422
    assert 'id="code-errors"' in response.get_data(as_text=True)


def test_create_area_bad_code_rerenders(app, as_user, admin):
    response = as_user(admin).post("/beheer/expertisegebieden/nieuw",
                                   data={**FORM, "code": "two words"})

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="two words"' in page


def test_edit_area(app, as_user, admin):
    area = f.expertise_area()
    client = as_user(admin)
    assert client.get(f"/beheer/expertisegebieden/{area.id}").status_code == 200

    response = client.post(f"/beheer/expertisegebieden/{area.id}", data=FORM)

    assert response.status_code == 302
    db.session.refresh(area)
    assert (area.code, area.name_nl) == ("returnees", "Terugkeerders en uitreizigers")


def test_edit_area_invalid_keeps_values(app, as_user, admin):
    area = f.expertise_area()

    response = as_user(admin).post(f"/beheer/expertisegebieden/{area.id}",
                                   data={**FORM, "name_nl": ""})

    assert response.status_code == 422
    assert 'value="Returnees and travellers"' in response.get_data(as_text=True)
    db.session.refresh(area)
    assert area.code.startswith("area-")


def test_deactivate_area(app, as_user, admin):
    area = f.expertise_area()

    response = as_user(admin).post(f"/beheer/expertisegebieden/{area.id}/actief",
                                   data={"active": "0"})

    assert response.status_code == 302
    db.session.refresh(area)
    assert area.is_active is False


def test_unknown_area_is_404(app, as_user, admin):
    assert as_user(admin).get("/beheer/expertisegebieden/99999").status_code == 404
