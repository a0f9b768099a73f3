"""Shapes of offers, bookings and candidates, in and out."""

from __future__ import annotations

from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from duidingspool.bookings.models import OfferStatus


class OfferCreateSchema(Schema):
    """Offer a request to one expert or an ordered queue of experts."""

    expert_ids = fields.List(fields.Integer(strict=False, validate=validate.Range(min=1)),
                             required=True, validate=validate.Length(min=1, max=20))
    starts_at = fields.AwareDateTime(load_default=None, allow_none=True,
                                     metadata={"description": "For a date-window request"})
    ends_at = fields.AwareDateTime(load_default=None, allow_none=True)
    expires_at = fields.AwareDateTime(load_default=None, allow_none=True,
                                      metadata={"description": "Answer deadline; default from settings"})
    budget_override_reason = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=500),
        metadata={"description": "Needed when the estimated cost takes spent plus committed "
                                 "over the year's budget (else 409 budget_exceeded)"})

    @validates_schema
    def check_times(self, data, **kwargs):
        if (data.get("starts_at") is None) != (data.get("ends_at") is None):
            raise ValidationError(_("Give both a start and an end time, or neither."), "ends_at")
        if data.get("starts_at") and data["ends_at"] <= data["starts_at"]:
            raise ValidationError(_("The end must come after the start."), "ends_at")


class DirectBookingSchema(Schema):
    """Book one expert for a request directly, without an offer to answer."""

    expert_id = fields.Integer(required=True, strict=False, validate=validate.Range(min=1))
    starts_at = fields.AwareDateTime(load_default=None, allow_none=True,
                                     metadata={"description": "For a date-window request"})
    ends_at = fields.AwareDateTime(load_default=None, allow_none=True)
    budget_override_reason = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=500),
        metadata={"description": "Needed when the estimated cost takes spent plus committed "
                                 "over the year's budget (else 409 budget_exceeded)"})

    @validates_schema
    def check_times(self, data, **kwargs):
        if (data.get("starts_at") is None) != (data.get("ends_at") is None):
            raise ValidationError(_("Give both a start and an end time, or neither."), "ends_at")
        if data.get("starts_at") and data["ends_at"] <= data["starts_at"]:
            raise ValidationError(_("The end must come after the start."), "ends_at")


class ReasonSchema(Schema):
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class RequiredReasonSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class OfferListQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf([s.value for s in OfferStatus]))


class OfferRequestSchema(Schema):
    """What an expert sees of the request behind an offer: no question, no case code."""

    id = fields.Integer()
    reference = fields.String()
    case_table = fields.Function(lambda r: r.case_table.name)
    place = fields.Function(lambda r: "online" if r.mode == "online" else r.case_table.address)
    mode = fields.String()
    language = fields.String(allow_none=True)
    estimated_hours = fields.Function(lambda r: round(r.estimated_minutes / 60, 2),
                                      metadata={"type": "number"})
    areas = fields.Function(lambda r: [{"code": e.area.code, "name": e.area.name_nl,
                                        "min_level": e.min_level} for e in r.expertise],
                            metadata={"type": "array", "items": {"type": "object"}})


class OfferSchema(Schema):
    id = fields.Integer()
    status = fields.String()
    expert_id = fields.Integer()
    request = fields.Nested(OfferRequestSchema, attribute="referral")
    queue_position = fields.Integer()
    starts_at = fields.Method("get_starts_at", metadata={"type": "string", "format": "date-time"})
    ends_at = fields.Method("get_ends_at", metadata={"type": "string", "format": "date-time"})
    offered_at = fields.AwareDateTime(allow_none=True)
    expires_at = fields.AwareDateTime(allow_none=True)
    responded_at = fields.AwareDateTime(allow_none=True)
    decline_reason = fields.String(allow_none=True)

    def get_starts_at(self, offer):
        when = offer.referral.sitting.starts_at if offer.referral.sitting else offer.starts_at
        return when.isoformat() if when else None

    def get_ends_at(self, offer):
        when = offer.referral.sitting.ends_at if offer.referral.sitting else offer.ends_at
        return when.isoformat() if when else None


class BookingSchema(Schema):
    id = fields.Integer()
    status = fields.String()
    request_id = fields.Integer(attribute="referral_id")
    reference = fields.Function(lambda b: b.referral.reference)
    case_table = fields.Function(lambda b: b.referral.case_table.name)
    expert_id = fields.Integer()
    expert_name = fields.Function(lambda b: b.expert.user.name)
    session_id = fields.Integer(attribute="sitting_id", allow_none=True)
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    sequence = fields.Integer()
    conflict = fields.String(allow_none=True)
    cancelled_at = fields.AwareDateTime(allow_none=True)
    cancel_reason = fields.String(allow_none=True)


class CandidateSchema(Schema):
    expert_id = fields.Integer()
    name = fields.String()
    score = fields.Float()
    parts = fields.Dict(keys=fields.String(), values=fields.Float(), metadata={
        "description": "Points per soft score: expertise, continuity, fairness, travel and "
                       "cost (weighed against the remaining budget)"})
    distance_km = fields.Float(allow_none=True)
    hourly_rate = fields.Decimal(as_string=True, allow_none=True)
    estimated_cost = fields.Decimal(as_string=True, allow_none=True)
    budget_share = fields.Float(allow_none=True, metadata={
        "description": "The estimated cost as a percentage of the remaining budget, which "
                       "the cost part is weighed against (null when the year has no budget)"})


class ExclusionSchema(Schema):
    expert_id = fields.Integer()
    name = fields.String()
    rule = fields.String()
    detail = fields.Dict()


class RankingSchema(Schema):
    candidates = fields.List(fields.Nested(CandidateSchema))
    excluded = fields.List(fields.Nested(ExclusionSchema))
    remaining_budget = fields.Decimal(as_string=True, allow_none=True, metadata={
        "description": "Euros left for the request's year (and its region's allocation, "
                       "when less): budget - spent - committed; null without a budget"})


# --- standing specialists ---------------------------------------------------------------------

class StandingProposeSchema(Schema):
    """Propose an expert as a case table's standing specialist for a period."""

    expert_id = fields.Integer(required=True, strict=False, validate=validate.Range(min=1))
    starts_on = fields.Date(required=True, metadata={"description": "First date (local)"})
    ends_on = fields.Date(required=True, metadata={"description": "Last date (local), inclusive"})
    estimated_hours = fields.Decimal(required=True, places=2, as_string=True,
                                     validate=validate.Range(min=0.25, max=40),
                                     metadata={"description": "Estimated work per session"})
    mode = fields.String(load_default="in_person",
                         validate=validate.OneOf(["in_person", "online"]))
    expires_at = fields.AwareDateTime(load_default=None, allow_none=True,
                                      metadata={"description": "Answer deadline; default from settings"})


class StandingAcceptSchema(Schema):
    """Accept a series offer: every date, or all but the named sessions."""

    declined_session_ids = fields.List(
        fields.Integer(strict=False, validate=validate.Range(min=1)), load_default=list,
        validate=validate.Length(max=400),
        metadata={"description": "Sessions (ids) of the series the expert cannot take; they "
                                 "are listed as needing a substitute"})


class SubstituteSchema(Schema):
    """Hand one date of a series to a substitute (booked directly)."""

    expert_id = fields.Integer(required=True, strict=False, validate=validate.Range(min=1))
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500),
                           metadata={"description": "Why the standing specialist's booking "
                                                    "of the date is cancelled, if it is"})
    budget_override_reason = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=500),
        metadata={"description": "Needed when the estimated cost takes spent plus committed "
                                 "over the year's budget (else 409 budget_exceeded)"})


class StandingDateSchema(Schema):
    id = fields.Integer()
    session_id = fields.Integer(attribute="item.sitting_id")
    starts_at = fields.AwareDateTime(attribute="item.sitting.starts_at")
    ends_at = fields.AwareDateTime(attribute="item.sitting.ends_at")
    state = fields.String(attribute="state.state", metadata={
        "description": "offered, booked, held, substitute, needs_substitute, declined, "
                       "cancelled, lapsed or unfilled"})
    needs_substitute = fields.Boolean(attribute="state.needs_substitute")
    rule = fields.String(attribute="state.rule", allow_none=True,
                         metadata={"description": "Why the date was not booked"})
    expert_name = fields.String(attribute="state.expert_name", allow_none=True)
    booking_id = fields.Method("get_booking_id", metadata={"type": "integer", "nullable": True})
    request_id = fields.Integer(attribute="item.referral_id", allow_none=True)

    def get_booking_id(self, row):
        return row.state.booking.id if row.state.booking is not None else None


class StandingSeriesSchema(Schema):
    """A series with its dates; dumps a `standing.SeriesView` (the series and its dates'
    states, worked out by the service)."""

    id = fields.Integer(attribute="series.id")
    case_table_id = fields.Integer(attribute="series.case_table_id")
    case_table = fields.Function(lambda v: v.series.case_table.name)
    expert_id = fields.Integer(attribute="series.expert_id")
    expert_name = fields.Function(lambda v: v.series.expert.user.name)
    starts_on = fields.Date(attribute="series.starts_on")
    ends_on = fields.Date(attribute="series.ends_on")
    estimated_hours = fields.Function(lambda v: round(v.series.estimated_minutes / 60, 2),
                                      metadata={"type": "number"})
    mode = fields.String(attribute="series.mode")
    status = fields.String(attribute="series.status", metadata={
        "description": "offered, accepted, declined, expired or cancelled"})
    offered_at = fields.AwareDateTime(attribute="series.offered_at")
    expires_at = fields.AwareDateTime(attribute="series.expires_at")
    responded_at = fields.AwareDateTime(attribute="series.responded_at", allow_none=True)
    cancelled_at = fields.AwareDateTime(attribute="series.cancelled_at", allow_none=True)
    dates = fields.List(fields.Nested(StandingDateSchema))
