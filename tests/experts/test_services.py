"""Expertise area services."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from duidingspool.audit.models import AuditEvent
from duidingspool.errors import ValidationFailed
from duidingspool.experts import services
from duidingspool.extensions import db
from tests import factories as f


def test_create_area(app):
    area = services.create_area(actor=None, code="Online-Radicalisation",
                                name_nl="Online radicalisering", name_en="Online radicalisation",
                                description="  ")

    assert (area.code, area.name_nl, area.description, area.is_active) == (
        "online-radicalisation", "Online radicalisering", None, True)
    assert db.session.scalars(select(AuditEvent.action)).all() == ["expertise_area.create"]


def test_create_area_duplicates_refused(app):
    existing = f.expertise_area()

    with pytest.raises(ValidationFailed) as caught:
        services.create_area(actor=None, code=existing.code, name_nl=existing.name_nl.upper(),
                             name_en="Something new")

    assert sorted(caught.value.fields) == ["code", "name_nl"]


def test_update_area_records_changed_fields(app):
    area = f.expertise_area()

    services.update_area(actor=None, area=area, code=area.code, name_nl="Jihadisme",
                         name_en="Jihadism", description="Salafi-jihadist movements")

    event = db.session.scalars(select(AuditEvent)).one()
    assert (event.action, event.details) == (
        "expertise_area.update", {"fields": ["description", "name_en", "name_nl"]})


def test_deactivate_and_reactivate_area(app):
    area = f.expertise_area()

    services.set_area_active(actor=None, area=area, active=False)
    services.set_area_active(actor=None, area=area, active=False)
    assert services.list_areas(include_inactive=False) == []
    services.set_area_active(actor=None, area=area, active=True)

    assert area.is_active is True
    assert db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all() == [
        "expertise_area.deactivate", "expertise_area.activate"]
