"""Shape of the year report in the API: counts, hours and money (as strings)."""

from __future__ import annotations

from marshmallow import Schema, fields

from duidingspool.budget.schemas import YearFiguresSchema


class RequestRowSchema(Schema):
    name = fields.String()
    safety_region = fields.String(attribute="region", allow_none=True)
    requested = fields.Integer()
    booked = fields.Integer()
    cancelled = fields.Integer()
    unfilled = fields.Integer()
    fill_rate_percent = fields.Decimal(attribute="fill_rate", as_string=True, allow_none=True)


class RequestTotalsSchema(Schema):
    requested = fields.Integer()
    booked = fields.Integer()
    cancelled = fields.Integer()
    unfilled = fields.Integer()
    fill_rate_percent = fields.Decimal(attribute="fill_rate", as_string=True, allow_none=True)


class CostRowSchema(Schema):
    name = fields.String()
    approved_lines = fields.Integer(attribute="lines")
    approved_minutes = fields.Integer(attribute="minutes")
    approved_amount = fields.Decimal(attribute="amount", as_string=True)
    pending_minutes = fields.Integer()
    pending_amount = fields.Decimal(as_string=True)


class ScoreTotalsSchema(Schema):
    sessions_held = fields.Integer(attribute="sessions")
    evaluations = fields.Integer()
    average_usefulness = fields.Decimal(attribute="average", as_string=True, allow_none=True)
    on_time = fields.Integer()
    prepared = fields.Integer()


class ScoreRowSchema(ScoreTotalsSchema):
    name = fields.String()


class ResultsSchema(Schema):
    totals = fields.Nested(ScoreTotalsSchema)
    expertise_areas = fields.List(fields.Nested(ScoreRowSchema), attribute="areas")
    safety_regions = fields.List(fields.Nested(ScoreRowSchema), attribute="regions")
    complaints = fields.Dict(keys=fields.String(),
                             values=fields.Dict(keys=fields.String(), values=fields.Integer()),
                             metadata={"description": "Counts per kind, then per status"})
class UrgentFiguresSchema(Schema):
    requested = fields.Integer(metadata={"description": "Urgent requests submitted"})
    booked = fields.Integer()
    in_time = fields.Integer(metadata={"description": "Booked by their answer deadline"})
    in_time_percent = fields.Decimal(attribute="in_time_share", as_string=True,
                                     allow_none=True)
    median_hours_to_booking = fields.Decimal(as_string=True, allow_none=True)


class YearReportSchema(Schema):
    year = fields.Integer()
    totals = fields.Nested(RequestTotalsSchema)
    safety_regions = fields.List(fields.Nested(RequestRowSchema), attribute="regions")
    municipalities = fields.List(fields.Nested(RequestRowSchema))
    expertise_areas = fields.List(fields.Nested(RequestRowSchema), attribute="areas")
    median_hours_to_booking = fields.Decimal(as_string=True, allow_none=True)
    hours_per_category = fields.List(fields.Nested(CostRowSchema), attribute="categories")
    hours_per_expert = fields.List(fields.Nested(CostRowSchema), attribute="experts")
    budget = fields.Nested(YearFiguresSchema)
    results = fields.Nested(ResultsSchema, metadata={
        "description": "Sessions held, evaluations and complaints; never per expert"})
    cost_per_session = fields.Decimal(as_string=True, allow_none=True)
    urgent = fields.Nested(UrgentFiguresSchema)
