"""JSON API for candidates, offers and bookings."""

from __future__ import annotations

from flask import request
from flask_login import current_user

from duidingspool.accounts.models import Role
from duidingspool.api.core import dump, load_json, route
from duidingspool.bookings import queries, services, standing
from duidingspool.bookings.models import Offer
from duidingspool.bookings.schemas import (
    BookingSchema,
    DirectBookingSchema,
    OfferCreateSchema,
    OfferListQuerySchema,
    OfferSchema,
    RankingSchema,
    ReasonSchema,
    RequiredReasonSchema,
    StandingAcceptSchema,
    StandingProposeSchema,
    StandingSeriesSchema,
    SubstituteSchema,
)
from duidingspool.extensions import db
from duidingspool.bookings.candidates import rank_request
from duidingspool.casetables.queries import get_case_table_for
from duidingspool.referrals.queries import get_for as get_referral_for

TAG = "offers and bookings"


@route("/requests/<int:request_id>/candidates", roles=[Role.COORDINATOR], tag=TAG,
       summary="Every expert for the request: ranked candidates with score parts, and the "
               "excluded ones with the rule that excluded them",
       response=RankingSchema())
def request_candidates(request_id: int):
    referral = get_referral_for(current_user, request_id)
    return dump(RankingSchema(), rank_request(referral=referral))


@route("/requests/<int:request_id>/offers", roles=[Role.COORDINATOR], tag=TAG,
       summary="The request's offers, in queue order", response=OfferSchema(many=True))
def request_offers(request_id: int):
    referral = get_referral_for(current_user, request_id)
    return dump(OfferSchema(many=True), queries.offers_of(referral))


@route("/requests/<int:request_id>/offers", method="POST", roles=[Role.COORDINATOR], tag=TAG,
       summary="Offer the request to one expert or an ordered queue",
       body=OfferCreateSchema(), response=OfferSchema(many=True), status=201)
def request_offers_create(request_id: int):
    referral = get_referral_for(current_user, request_id)
    data = load_json(OfferCreateSchema())
    offers = services.make_offers(actor=current_user, referral=referral, **data)
    return dump(OfferSchema(many=True), offers, 201)


@route("/requests/<int:request_id>/booking", method="POST", roles=[Role.COORDINATOR], tag=TAG,
       summary="Book an expert directly (e.g. agreed by phone): the hard rules and budget "
               "check of an offer (422 names the rule that excludes the expert; 409 when the "
               "request is already booked); the request's open offers are withdrawn",
       body=DirectBookingSchema(), response=BookingSchema(), status=201)
def request_booking_create(request_id: int):
    referral = get_referral_for(current_user, request_id)
    data = load_json(DirectBookingSchema())
    booking = services.book_directly(actor=current_user, referral=referral, **data)
    return dump(BookingSchema(), booking, 201)


@route("/offers", roles=[Role.EXPERT, Role.COORDINATOR], tag=TAG,
       summary="Offers: an expert's own, or all for the coordinator",
       query=OfferListQuerySchema(), response=OfferSchema(many=True))
def offers_list():
    filters = OfferListQuerySchema().load(request.args)
    query = services.visible_offers(current_user)
    if filters.get("status"):
        query = query.where(Offer.status == filters["status"])
    return dump(OfferSchema(many=True), db.session.scalars(query).all())


@route("/offers/<int:offer_id>", roles=[Role.EXPERT, Role.COORDINATOR], tag=TAG,
       summary="One offer", response=OfferSchema())
def offer_detail(offer_id: int):
    return dump(OfferSchema(), services.get_offer_for(current_user, offer_id))


@route("/offers/<int:offer_id>/accept", method="POST", roles=[Role.EXPERT], tag=TAG,
       summary="Accept an offer: creates the booking (409 if no longer possible)",
       response=BookingSchema(), status=201)
def offer_accept(offer_id: int):
    offer = services.get_offer_for(current_user, offer_id)
    booking = services.accept(actor=current_user, offer=offer)
    return dump(BookingSchema(), booking, 201)


@route("/offers/<int:offer_id>/withdraw", method="POST", roles=[Role.COORDINATOR], tag=TAG,
       summary="Withdraw a pending or queued offer (a pending one passes to the next in the "
               "queue); 409 when it is no longer open", response=OfferSchema())
def offer_withdraw(offer_id: int):
    offer = services.get_offer_for(current_user, offer_id)
    services.withdraw(actor=current_user, offer=offer)
    return dump(OfferSchema(), offer)


@route("/offers/<int:offer_id>/decline", method="POST", roles=[Role.EXPERT], tag=TAG,
       summary="Decline an offer, optionally with a reason; the next queued expert is asked",
       body=ReasonSchema(), response=OfferSchema())
def offer_decline(offer_id: int):
    offer = services.get_offer_for(current_user, offer_id)
    data = load_json(ReasonSchema()) if request.content_length else {}
    services.decline(actor=current_user, offer=offer, reason=data.get("reason"))
    return dump(OfferSchema(), offer)


@route("/bookings", roles=[Role.EXPERT, Role.COORDINATOR, Role.REQUESTER], tag=TAG,
       summary="Bookings the caller may see", response=BookingSchema(many=True))
def bookings_list():
    return dump(BookingSchema(many=True),
                db.session.scalars(services.visible_bookings(current_user)).all())


@route("/bookings/<int:booking_id>", roles=[Role.EXPERT, Role.COORDINATOR, Role.REQUESTER],
       tag=TAG, summary="One booking", response=BookingSchema())
def booking_detail(booking_id: int):
    return dump(BookingSchema(), services.get_booking_for(current_user, booking_id))


@route("/bookings/<int:booking_id>/cancel", method="POST",
       roles=[Role.COORDINATOR, Role.REQUESTER], tag=TAG,
       summary="Cancel a confirmed booking with a reason", body=RequiredReasonSchema(),
       response=BookingSchema())
def booking_cancel(booking_id: int):
    booking = services.get_booking_for(current_user, booking_id)
    data = load_json(RequiredReasonSchema())
    services.cancel_booking(actor=current_user, booking=booking, reason=data["reason"])
    return dump(BookingSchema(), booking)


# --- standing specialists ---------------------------------------------------------------------

STANDING_TAG = "standing specialists"


def _series_view(series):
    return standing.view_of(series)


@route("/case-tables/<int:case_table_id>/standing", roles=[Role.COORDINATOR, Role.REQUESTER],
       tag=STANDING_TAG,
       summary="The case table's standing-specialist series with each date's state (booked, "
               "needs a substitute, substitute booked, cancelled ...); requesters of the "
               "table see the accepted ones",
       response=StandingSeriesSchema(many=True))
def case_table_standing(case_table_id: int):
    table = get_case_table_for(current_user, case_table_id)
    views = [_series_view(s) for s in standing.series_of_table(current_user, table)]
    return dump(StandingSeriesSchema(many=True), views)


@route("/case-tables/<int:case_table_id>/standing", method="POST", roles=[Role.COORDINATOR],
       tag=STANDING_TAG,
       summary="Propose an expert as the case table's standing specialist for a period: one "
               "offer for every upcoming session in it (409 when the table already has an "
               "offered or accepted series overlapping the period)",
       body=StandingProposeSchema(), response=StandingSeriesSchema(), status=201)
def case_table_standing_create(case_table_id: int):
    table = get_case_table_for(current_user, case_table_id)
    data = load_json(StandingProposeSchema())
    hours = data.pop("estimated_hours")
    series = standing.propose(actor=current_user, case_table=table,
                              estimated_minutes=int(round(hours * 60)), **data)
    return dump(StandingSeriesSchema(), _series_view(series), 201)


@route("/standing/<int:series_id>", roles=[Role.COORDINATOR, Role.EXPERT], tag=STANDING_TAG,
       summary="One series: the coordinator's, or the offered expert's own",
       response=StandingSeriesSchema())
def standing_detail(series_id: int):
    series = standing.get_series_for(current_user, series_id)
    return dump(StandingSeriesSchema(), _series_view(series))


@route("/standing/<int:series_id>/accept", method="POST", roles=[Role.EXPERT], tag=STANDING_TAG,
       summary="Accept a series offer, whole or declining named sessions: every other date "
               "is booked as its own booking, unless a rule (absence, another booking, travel "
               "buffer) keeps the expert from it; such dates and the declined ones need a "
               "substitute",
       body=StandingAcceptSchema(), response=StandingSeriesSchema())
def standing_accept(series_id: int):
    series = standing.get_series_for(current_user, series_id)
    data = load_json(StandingAcceptSchema())
    standing.accept(actor=current_user, series=series, **data)
    return dump(StandingSeriesSchema(), _series_view(series))


@route("/standing/<int:series_id>/decline", method="POST", roles=[Role.EXPERT],
       tag=STANDING_TAG, summary="Decline a whole series offer",
       body=ReasonSchema(), response=StandingSeriesSchema())
def standing_decline(series_id: int):
    series = standing.get_series_for(current_user, series_id)
    data = load_json(ReasonSchema())
    standing.decline(actor=current_user, series=series, reason=data.get("reason"))
    return dump(StandingSeriesSchema(), _series_view(series))


@route("/standing/<int:series_id>/cancel", method="POST", roles=[Role.COORDINATOR],
       tag=STANDING_TAG,
       summary="Cancel a series (or withdraw its offer): the dates still to come are cancelled "
               "with their bookings, past ones stay",
       body=RequiredReasonSchema(), response=StandingSeriesSchema())
def standing_cancel(series_id: int):
    series = standing.get_series_for(current_user, series_id)
    data = load_json(RequiredReasonSchema())
    standing.cancel(actor=current_user, series=series, reason=data["reason"])
    return dump(StandingSeriesSchema(), _series_view(series))


@route("/standing/<int:series_id>/dates/<int:date_id>/substitute", method="POST",
       roles=[Role.COORDINATOR], tag=STANDING_TAG,
       summary="Hand one date to a substitute (the candidates of the date's request, "
               "GET /requests/{id}/candidates, propose one): its booking is cancelled and the "
               "substitute booked directly; 422 names the rule that excludes them",
       body=SubstituteSchema(), response=BookingSchema(), status=201)
def standing_substitute(series_id: int, date_id: int):
    series = standing.get_series_for(current_user, series_id)
    item = standing.get_date_for(current_user, series, date_id)
    data = load_json(SubstituteSchema())
    booking = standing.substitute(actor=current_user, series=series, item=item, **data)
    return dump(BookingSchema(), booking, 201)
