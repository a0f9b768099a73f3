"""Shapes of budget figures (out) and the budget form (in)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, pre_load, validate

from duidingspool.budget.models import DEFAULT_KM_RATE, DEFAULT_THRESHOLDS
from duidingspool.budget.services import thresholds_of

MONEY = {"type": "string", "description": "euros, exact to the cent"}


class FiguresSchema(Schema):
    allocation_id = fields.Integer(attribute="key", allow_none=True,
                                   metadata={"description": "0 for the whole year"})
    safety_region = fields.String(attribute="label", allow_none=True)
    budget = fields.Decimal(as_string=True, metadata=MONEY)
    spent = fields.Decimal(as_string=True, metadata=MONEY)
    pending = fields.Decimal(as_string=True, metadata=MONEY)
    committed = fields.Decimal(as_string=True, metadata=MONEY)
    remaining = fields.Decimal(as_string=True, metadata=MONEY)
    forecast = fields.Decimal(as_string=True, metadata=MONEY)
    used_percent = fields.Decimal(as_string=True, allow_none=True,
                                  metadata={"type": "string",
                                            "description": "(spent + committed) / budget"})
    spent_per_month = fields.List(fields.Decimal(as_string=True), attribute="months")


class YearFiguresSchema(Schema):
    year = fields.Integer()
    has_budget = fields.Function(lambda f: f.budget is not None, metadata={"type": "boolean"})
    km_rate = fields.Function(lambda f: str(f.budget.km_rate) if f.budget else None,
                              metadata={"type": "string"})
    thresholds = fields.Function(
        lambda f: thresholds_of(f.budget),
        metadata={"type": "array", "items": {"type": "integer"}})
    elapsed_fraction = fields.Decimal(attribute="elapsed", as_string=True, places=4)
    total = fields.Nested(FiguresSchema)
    allocations = fields.List(fields.Nested(FiguresSchema))


class Percentages(fields.Field):
    """Whole percentages: a list, or text as a form's field has it ("75, 90, 100")."""

    default_error_messages = {"invalid": _l("Give whole percentages, separated by commas.")}

    def _deserialize(self, value, attr, data, **kwargs) -> list[int]:
        parts = value if isinstance(value, list) else str(value).split(",")
        try:
            return sorted({int(str(part).strip()) for part in parts if str(part).strip()})
        except ValueError as exc:
            raise self.make_error("invalid") from exc


class BudgetFormSchema(Schema):
    """The year's budget as the coordinator sets it. A form sends each safety region's
    allocation as its own field `allocation_<region id>`."""

    amount = fields.Decimal(required=True, places=2,
                            validate=validate.Range(min=0, max=9_999_999_999))
    km_rate = fields.Decimal(load_default=DEFAULT_KM_RATE, places=2,
                             validate=validate.Range(min=0, max=9999))
    thresholds = Percentages(load_default=lambda: list(DEFAULT_THRESHOLDS))
    allocations = fields.Dict(
        keys=fields.Integer(strict=False),
        values=fields.Decimal(places=2, allow_nan=False,
                              validate=validate.Range(min=0, max=9_999_999_999)),
        load_default=dict)

    @pre_load
    def gather_allocations(self, data, **kwargs):
        data = dict(data)
        allocations = dict(data.pop("allocations", None) or {})
        for key in [k for k in data if str(k).startswith("allocation_")]:
            raw = str(data.pop(key)).strip().replace(",", ".")
            if raw:
                allocations[key.removeprefix("allocation_")] = raw
        data["allocations"] = allocations
        return data

    def handle_error(self, error: ValidationError, data, **kwargs):
        """An allocation's error belongs to its own field, as the form shows it."""
        messages = error.messages if isinstance(error.messages, dict) else {}
        nested = messages.get("allocations")
        if not isinstance(nested, dict):
            raise error
        flat = {k: v for k, v in messages.items() if k != "allocations"}
        for key in nested:
            flat[f"allocation_{key}"] = [str(_l("Give an amount in euros."))]
        raise ValidationError(flat) from error
