"""Expertise areas (the managed taxonomy); expert profiles follow in a later issue."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from duidingspool.audit.services import record
from duidingspool.errors import NotFound, ValidationFailed
from duidingspool.experts.models import ExpertiseArea
from duidingspool.extensions import db


def list_areas(*, include_inactive: bool = True) -> list[ExpertiseArea]:
    """The expertise areas by Dutch name (active ones only when asked)."""
    query = select(ExpertiseArea).order_by(ExpertiseArea.name_nl)
    if not include_inactive:
        query = query.where(ExpertiseArea.is_active.is_(True))
    return list(db.session.scalars(query))


def get_area(area_id: int) -> ExpertiseArea:
    """An expertise area by id, or NotFound."""
    area = db.session.get(ExpertiseArea, area_id)
    if area is None:
        raise NotFound(str(_l("Expertise area not found.")))
    return area


def _check_unique(*, area_id: int | None, code: str, name_nl: str, name_en: str) -> None:
    errors: dict[str, list[str]] = {}
    others = select(ExpertiseArea.id).where(ExpertiseArea.id != (area_id or 0))
    if db.session.scalar(others.where(ExpertiseArea.code == code)):
        errors["code"] = [str(_l("Already in use."))]
    if db.session.scalar(others.where(func.lower(ExpertiseArea.name_nl) == name_nl.lower())):
        errors["name_nl"] = [str(_l("Already in use."))]
    if db.session.scalar(others.where(func.lower(ExpertiseArea.name_en) == name_en.lower())):
        errors["name_en"] = [str(_l("Already in use."))]
    if errors:
        raise ValidationFailed(str(_l("Some fields are not filled in correctly.")), fields=errors)


def create_area(*, actor, code: str, name_nl: str, name_en: str,
                description: str | None = None) -> ExpertiseArea:
    """Add an expertise area."""
    code, name_nl, name_en = code.strip().lower(), name_nl.strip(), name_en.strip()
    _check_unique(area_id=None, code=code, name_nl=name_nl, name_en=name_en)
    area = ExpertiseArea(code=code, name_nl=name_nl, name_en=name_en,
                         description=(description or "").strip() or None, is_active=True)
    db.session.add(area)
    db.session.flush()
    record(actor=actor, action="expertise_area.create", obj=area)
    return area


def update_area(*, actor, area: ExpertiseArea, code: str, name_nl: str, name_en: str,
                description: str | None = None) -> ExpertiseArea:
    """Change an expertise area's code, names or description."""
    code, name_nl, name_en = code.strip().lower(), name_nl.strip(), name_en.strip()
    _check_unique(area_id=area.id, code=code, name_nl=name_nl, name_en=name_en)
    values = {"code": code, "name_nl": name_nl, "name_en": name_en,
              "description": (description or "").strip() or None}
    changed = sorted(name for name, value in values.items() if getattr(area, name) != value)
    for name in changed:
        setattr(area, name, values[name])
    db.session.flush()
    if changed:
        record(actor=actor, action="expertise_area.update", obj=area, details={"fields": changed})
    return area


def set_area_active(*, actor, area: ExpertiseArea, active: bool) -> ExpertiseArea:
    """Deactivate (no longer offered for new requests or profiles) or reactivate an area."""
    if area.is_active != active:
        area.is_active = active
        db.session.flush()
        record(actor=actor, action="expertise_area.activate" if active
               else "expertise_area.deactivate", obj=area)
    return area
