"""Named signals: how a lower feature package lets higher ones react, without importing them.

The feature packages have one order (README, Architecture) and import only downwards. When
something in a lower package must cause something in a higher one, the lower one sends a
signal here and the higher one connects a receiver in its services module, as Indico's
modules do with `indico.core.signals`. Receivers run synchronously in the sender's unit of
work: what they change is committed or rolled back with it, and a `DomainError` a receiver
raises refuses the sender's action.

Each signal's sender is the object it is about; its keyword arguments are listed below.
`ask` reads the single answer of a signal that asks a higher package for a value, `gather`
merges the answers of one that collects what higher packages add to a page.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

user_access_revoked = _signals.signal("user-access-revoked", doc="""
A user may no longer use their calendar links (password changed, account deactivated).
Sender: the user. Keywords: actor, reason. Receivers: ical (revokes the user's feeds).
""")

account_link_issued = _signals.signal("account-link-issued", doc="""
A single-use link to choose a password was made (an invitation or a forgotten password).
Sender: the user. Keywords: purpose ("invite" or "reset"), token (the link's secret: only
for the e-mail, never stored or logged), expires_at. Receivers: mail (queues the e-mail in
the user's language, marked sensitive so the outbox pages hide its text).
""")

municipalities_wanted = _signals.signal("municipalities-wanted", doc="""
The accounts package needs municipalities (to offer them for a requester, or to check one).
Sender: None. Keywords: ids (a list of ids to look up, or None for all). Receivers:
casetables (answers {id: name} of the municipalities found, ordered by name).
""")

referral_cancelled = _signals.signal("referral-cancelled", doc="""
A request was cancelled (by its requester or the coordinator: referrals; with its session:
bookings). Sender: the request. Keywords: actor, reason, now, previous_status (its status
before). Receivers: bookings (withdraws its open offers, cancels its confirmed booking);
mail (tells the requester and the case table's contact, unless the requester's own
municipality cancelled it).
""")

referral_submitted = _signals.signal("referral-submitted", doc="""
A requester filed a request. Sender: the request. Keywords: actor, now. Receivers: bookings
(one receiver, `standing._route_new_request`: a request for a session of a table with a
standing specialist is offered to that specialist first, unless a rule or the budget keeps
them from it; otherwise an urgent request, see Referral.is_urgent, is offered at once: to
the expert on duty in the on-call rota when they are a candidate, else to the best ranked
candidate).
""")

urgent_unanswered = _signals.signal("urgent-unanswered", doc="""
An urgent request has nobody left to offer it to automatically: every ranked candidate was
asked and none accepted in time, none was eligible, or the next offer would exceed the
budget. Sender: the request. Keywords: now, reason ("exhausted", "no_candidate" or
"over_budget"), offers (how many offers it has had). Receivers: mail (alerts every
coordinator by e-mail, once per reason and number of offers).
""")

referral_unfilled = _signals.signal("referral-unfilled", doc="""
Nobody accepted a request before its session (or the end of its window): it became
unfilled. Sender: the request. Keywords: now. Receivers: mail (tells the requester and the
case table's contact).
""")

referrals_purged = _signals.signal("referrals-purged", doc="""
The retention purge erased the question text, case code and cancel reason of requests.
Sender: None. Keywords: ids (the requests' ids), now. Receivers: bookings (erases the decline
reasons of their offers and the cancel reasons of their bookings); hours (erases the notes
and reject reasons of their bookings' hour lines). Free text goes with the question.
""")

expert_scope_wanted = _signals.signal("expert-scope-wanted", doc="""
Which requests a user may read as an expert (need to know): referrals asks, for the request
page and GET /api/v1/requests/{id}. Sender: the user. Keywords: now. Receivers: bookings
(answers a SQL condition on Referral: the user's expert profile has an offer for it waiting
for an answer before its deadline, or a confirmed booking).
""")

sitting_changed = _signals.signal("sitting-changed", doc="""
A case-table session moved, changed place or duration, or was cancelled. Sender: the
session. Keywords: actor, now. Receivers: bookings (the session's bookings follow: new time
and sequence, or cancelled with its requests).
""")

offers_proposed = _signals.signal("offers-proposed", doc="""
The coordinator is about to offer a request to experts, or to book one directly. Sender:
the request. Keywords: actor, expert_ids, starts_at, override_reason, now. Receivers: budget
(refuses an offer over budget without an override reason with BudgetExceeded; answers
{expert_id: recorded override reason or None}).
""")

remaining_budget_wanted = _signals.signal("remaining-budget-wanted", doc="""
Bookings ranks a request's candidates and weighs their cost against the money left.
Sender: the request. Keywords: on (the local date whose year counts), now. Receivers:
budget (answers the remaining amount, budget - spent - committed, of that year, or of the
request's safety-region allocation when that is less; None when the year has no budget).
""")

offer_sent = _signals.signal("offer-sent", doc="""
An offer was sent to its expert: the first of a queue, or the next one by the cascade.
Sender: the offer. Keywords: now. Receivers: mail (queues the offer e-mail to the expert).
""")

booking_changed = _signals.signal("booking-changed", doc="""
A booking was confirmed (an offer accepted, or booked directly: sequence 0), moved (a higher
sequence), or cancelled. Sender: the booking. Keywords: now, actor (None for the system).
Receivers: mail (queues the iCalendar invitation or cancellation to the expert and the case
table's contact; tells the requester that the request was booked or moved, or that the pool
cancelled the booking and the request is open again); budget (a confirmed or moved booking
commits money to its session's year: raises that year's threshold warnings).
""")

hour_lines_approved = _signals.signal("hour-lines-approved", doc="""
Hour lines were approved. Sender: the year of their sessions (int). Keywords: now.
Receivers: budget (raises the threshold warnings the year's spending has reached).
""")

km_rate_wanted = _signals.signal("km-rate-wanted", doc="""
The hours package prices kilometres of a session year. Sender: the year (int). Receivers:
budget (answers that year's km rate as a Decimal, or None when the year has no budget).
""")


request_page_shown = _signals.signal("request-page-shown", doc="""
A request's page is being shown. Sender: the request. Keywords: actor. Receivers answer a
dict of template context for the page: bookings (the offers, the booking, the candidates;
for an expert their own offer and its answer buttons, or their booking).
""")

requests_page_shown = _signals.signal("requests-page-shown", doc="""
A requester's list of requests is being shown. Sender: the user. Keywords: none. Receivers
answer a dict of template context: results (the sessions held waiting for their evaluation).
""")

home_page_shown = _signals.signal("home-page-shown", doc="""
The start page of a user whose role has no page of its own (an expert) is being shown.
Sender: the user. Keywords: none. Receivers answer a dict of template context: bookings
(the expert's offers waiting for an answer, soonest deadline first, and upcoming bookings).
""")

standing_offer_sent = _signals.signal("standing-offer-sent", doc="""
The coordinator proposed an expert as a case table's standing specialist: one offer for the
series of sessions in a period. Sender: the series. Keywords: now. Receivers: mail (queues
the series offer e-mail to the expert).
""")


complaint_filed = _signals.signal("complaint-filed", doc="""
A requester filed a complaint about a booking (results). Sender: the complaint. Keywords:
now. Receivers: mail (tells the expert, without the complaint's text).
""")

complaint_decided = _signals.signal("complaint-decided", doc="""
The coordinator decided a complaint (results). Sender: the complaint. Keywords: now.
Receivers: mail (tells the requester who filed it and the expert the outcome).
""")

complaint_flagged = _signals.signal("complaint-flagged", doc="""
A complaint has had no decision for COMPLAINT_FLAG_DAYS (results' flag job). Sender: the
complaint. Keywords: now. Receivers: mail (alerts the coordinators, once per complaint).
""")

def ask(signal, sender, **kwargs):
    """The one answer to `signal`; a signal that asks for a value has exactly one receiver."""
    answers = [value for _receiver, value in signal.send(sender, **kwargs)]
    if len(answers) != 1:
        raise RuntimeError(f"signal {signal.name!r} needs one receiver, has {len(answers)}")
    return answers[0]


def gather(signal, sender, **kwargs) -> dict:
    """The answers of every receiver of `signal`, merged (dicts of template context)."""
    merged: dict = {}
    for _receiver, answer in signal.send(sender, **kwargs):
        merged.update(answer or {})
    return merged
