"""Shapes of budget figures (out) and the budget form (in)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

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
        lambda f: [int(t) for t in (f.budget.thresholds if f.budget else "75,90,100").split(",")
                   if t.strip()],
        metadata={"type": "array", "items": {"type": "integer"}})
    elapsed_fraction = fields.Decimal(attribute="elapsed", as_string=True, places=4)
    total = fields.Nested(FiguresSchema)
    allocations = fields.List(fields.Nested(FiguresSchema))


class BudgetFormSchema(Schema):
    """The year's budget as the coordinator sets it."""

    amount = fields.Decimal(required=True, places=2,
                            validate=validate.Range(min=0, max=9_999_999_999))
    km_rate = fields.Decimal(load_default=None, allow_none=True, places=2,
                             validate=validate.Range(min=0, max=9999))
    thresholds = fields.String(load_default="75,90,100",
                               validate=validate.Regexp(r"^\s*\d{1,3}(\s*,\s*\d{1,3})*\s*$"))
