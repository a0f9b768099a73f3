"""The audit trail in words: what an action code, an object type and the details mean.

The trail stores codes (`hours.approve`, `hour_line`, `{"amount": "80.00"}`), which stay
stable for the CSV export and the API; the page shows them as sentences in the interface
language. An action or object without a label here is shown readable all the same
(`Hour line`, `Hours approve`); `tests/audit/test_labels.py` keeps every recorded action
labelled.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l

from duidingspool import formats

ACTIONS = {
    "booking.cancel": _l("Booking cancelled"),
    "booking.complete": _l("Booking completed"),
    "booking.direct": _l("Expert booked directly"),
    "booking.follow_session": _l("Booking moved with its session"),
    "budget.override": _l("Offer over budget allowed"),
    "budget.set": _l("Budget set"),
    "budget.warning": _l("Budget warning raised"),
    "calendar_feed.create": _l("Calendar link created"),
    "calendar_feed.revoke": _l("Calendar link revoked"),
    "calendar_feed.revoke_all": _l("All calendar links revoked"),
    "calendar_feed.rotate": _l("Calendar link replaced"),
    "case_table.create": _l("Case table created"),
    "case_table.generate_sessions": _l("Sessions generated"),
    "case_table.import_ics": _l("Sessions imported from a calendar"),
    "case_table.update": _l("Case table changed"),
    "demo.history": _l("Demo history written"),
    "demo.load": _l("Demo data loaded"),
    "expert.absence_add": _l("Absence added"),
    "expert.absence_remove": _l("Absence removed"),
    "expert.availability_replace": _l("Availability replaced"),
    "expert.busy_calendar_remove": _l("Own calendar address removed"),
    "expert.busy_calendar_set": _l("Own calendar address set"),
    "expert.busy_refresh": _l("Busy times read from own calendar"),
    "expert.create": _l("Expert created"),
    "expert.rate_add": _l("Hourly rate added"),
    "expert.rate_delete": _l("Hourly rate removed"),
    "expert.rate_update": _l("Hourly rate changed"),
    "expert.update": _l("Expert changed"),
    "expert.window_add": _l("Weekly availability added"),
    "expert.window_remove": _l("Weekly availability removed"),
    "expertise_area.activate": _l("Expertise area activated"),
    "expertise_area.create": _l("Expertise area created"),
    "expertise_area.deactivate": _l("Expertise area deactivated"),
    "expertise_area.update": _l("Expertise area changed"),
    "hours.approve": _l("Hours approved"),
    "hours.create": _l("Hours recorded"),
    "hours.delete": _l("Hours deleted"),
    "hours.reject": _l("Hours rejected"),
    "hours.submit": _l("Hours submitted"),
    "hours.update": _l("Hours changed"),
    "login.failure": _l("Login failed"),
    "login.success": _l("Logged in"),
    "login.two_factor_failure": _l("Wrong two-factor code"),
    "login.two_factor_success": _l("Two-factor code accepted"),
    "municipality.create": _l("Municipality created"),
    "municipality.update": _l("Municipality changed"),
    "offer.accept": _l("Offer accepted"),
    "offer.create": _l("Offers made"),
    "offer.decline": _l("Offer declined"),
    "offer.expire": _l("Offer expired"),
    "offer.send": _l("Offer sent"),
    "offer.skip": _l("Offer skipped"),
    "offer.withdraw": _l("Offer withdrawn"),
    "offer.withdraw_open": _l("Open offers withdrawn"),
    "referral.back_to_inbox": _l("Request back in the inbox"),
    "referral.cancel": _l("Request cancelled"),
    "referral.create": _l("Request submitted"),
    "referral.purge": _l("Old question texts erased"),
    "referral.unfilled": _l("Request left unfilled"),
    "referral.view_question": _l("Question read"),
    "sitting.cancel": _l("Session cancelled"),
    "sitting.move": _l("Session moved"),
    "token.create": _l("API token created"),
    "token.revoke": _l("API token revoked"),
    "user.add_role": _l("Role added"),
    "user.create": _l("User created"),
    "user.deactivate": _l("User deactivated"),
    "user.link_issue": _l("Account link sent"),
    "user.link_use": _l("Account link used"),
    "user.locale": _l("Language changed"),
    "user.password": _l("Password changed"),
    "user.reactivate": _l("User reactivated"),
    "user.recovery_codes_renew": _l("New recovery codes made"),
    "user.roles": _l("Roles changed"),
    "user.sessions_end": _l("Sessions ended"),
    "user.two_factor_disable": _l("Two-factor login turned off"),
    "user.two_factor_enable": _l("Two-factor login turned on"),
    "user.two_factor_reset": _l("Two-factor login reset"),
    "audit_trail.export": _l("Audit trail downloaded"),
    "year_report.export": _l("Year report downloaded"),
    "absence.purge": _l("Old absence reasons erased"),
    "offer.duty_skipped": _l("Urgent request not offered to the expert on duty"),
    "offer.urgent": _l("Urgent request offered"),
    "oncall.override": _l("On-call rota week changed"),
    "oncall.override_delete": _l("On-call rota change removed"),
    "oncall.pattern": _l("On-call rota pattern set"),
    "referral.urgent_alert": _l("Coordinators alerted: urgent request unanswered"),
    "user.password_check_failure": _l("Wrong password given to confirm a change"),
    "complaint.answer": _l("Complaint answered by the expert"),
    "complaint.decide": _l("Complaint decided"),
    "complaint.file": _l("Complaint filed"),
    "complaint.flag": _l("Complaint flagged: no decision in time"),
    "evaluation.submit": _l("Session evaluated"),
    "process_note.record": _l("Process note recorded"),
    "standing.accept": _l("Standing specialist accepted the series"),
    "standing.cancel": _l("Standing specialist series cancelled"),
    "standing.date_booked": _l("Series date booked"),
    "standing.date_conflict": _l("Series date needs a substitute"),
    "standing.decline": _l("Standing specialist declined the series"),
    "standing.expire": _l("Series offer expired"),
    "standing.extend": _l("Series extended with new sessions"),
    "standing.first_offer": _l("Request offered to the standing specialist first"),
    "standing.first_offer_skipped": _l("Standing specialist could not take the request"),
    "standing.propose": _l("Standing specialist proposed"),
    "standing.substitute": _l("Substitute booked for a series date"),
}

OBJECTS = {
    "absence": _l("Absence"),
    "account_link": _l("Account link"),
    "api_token": _l("API token"),
    "audit_trail": _l("Audit trail"),
    "availability_window": _l("Weekly availability"),
    "booking": _l("Booking"),
    "budget": _l("Budget"),
    "budget_allocation": _l("Budget allocation"),
    "budget_warning": _l("Budget warning"),
    "calendar_feed": _l("Calendar link"),
    "complaint": _l("Complaint"),
    "oncall_rota": _l("On-call rota"),
    "oncall_override": _l("On-call rota change"),
    "evaluation": _l("Evaluation"),
    "standing_series": _l("Standing specialist series"),
    "case_table": _l("Case table"),
    "expert": _l("Expert"),
    "expert_rate": _l("Hourly rate"),
    "expertise_area": _l("Expertise area"),
    "hour_line": _l("Hour line"),
    "municipality": _l("Municipality"),
    "offer": _l("Offer"),
    "outbox_message": _l("E-mail"),
    "referral": _l("Request"),
    "safety_region": _l("Safety region"),
    "sitting": _l("Session"),
    "system": _l("System"),
    "user_account": _l("User"),
    "year_report": _l("Year report"),
}

# Known keys of the details, by label; the value is shown by `_value` unless a key has
# its own way (money, percent, a language, minutes ...).
DETAIL_LABELS = {
    "account": _l("Account"), "absence_id": _l("Absence"), "absences": _l("Absences"),
    "allocation": _l("Budget line"), "amount": _l("Amount"), "booking_id": _l("Booking"),
    "case_table_id": _l("Case table"), "category": _l("Category"), "cause": _l("Cause"),
    "conflict": _l("Conflict"), "count": _l("Number"), "created": _l("Created"),
    "deleted": _l("Deleted"), "end": _l("Until"), "estimated_cost": _l("Estimated cost"),
    "expert_id": _l("Expert"), "experts": _l("Experts"), "fields": _l("Fields changed"),
    "filters": _l("Filters"), "from_status": _l("Previous status"),
    "intervals": _l("Busy times"), "km_rate": _l("Kilometre rate"), "link_id": _l("Link"),
    "locale": _l("Language"), "method": _l("Method"), "minutes": _l("Duration"),
    "new_roles": _l("New roles"), "offer_id": _l("Offer"), "offer_ids": _l("Offers"),
    "old_roles": _l("Previous roles"), "purpose": _l("Purpose"), "rate_id": _l("Hourly rate"),
    "reason": _l("Reason"), "reference": _l("Request"), "request_id": _l("Request"),
    "retention_months": _l("Kept for (months)"), "role": _l("Role"), "rows": _l("Rows"),
    "schedule_source": _l("Schedule"), "scope": _l("Scope"), "source": _l("Source"),
    "start": _l("From"), "table": _l("Table"), "threshold": _l("Threshold"),
    "updated": _l("Updated"), "user_id": _l("User"), "valid_from": _l("Valid from"),
    "weekday": _l("Day"), "windows": _l("Weekly times"), "year": _l("Year"),
    "hourly_rate": _l("Hourly rate"), "thresholds": _l("Warning thresholds"),
    "object_type": _l("Object type"), "object_id": _l("Object ID"),
    "date_from": _l("From"), "date_to": _l("Until"),
    "usefulness": _l("Usefulness (1-5)"), "kind": _l("About"), "decision": _l("Decision"),
    "follow_up_advised": _l("Follow-up advised"),
    "written_advice_sent": _l("Written advice sent"),
}


def readable(code: str) -> str:
    """A code without a label, readable: `hour_line` → `Hour line`."""
    text = code.replace(".", " ").replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def action_label(action: str) -> str:
    return str(ACTIONS[action]) if action in ACTIONS else readable(action)


def object_label(object_type: str | None) -> str:
    if not object_type:
        return ""
    return str(OBJECTS[object_type]) if object_type in OBJECTS else readable(object_type)


ROLES = {"requester": _l("Requester"), "coordinator": _l("Coordinator"),
         "expert": _l("Expert"), "admin": _l("Administrator")}


def _minutes(value) -> str:
    return formats.hours(value) if isinstance(value, int) else str(value)


def _roles(value) -> str:
    items = value if isinstance(value, list | tuple) else [value]
    return ", ".join(str(ROLES.get(v, v)) for v in items) or "–"


def _percent(value) -> str:
    return formats.percent(value, 1)


_FORMATS: dict[str, Callable] = {
    "amount": formats.money, "estimated_cost": formats.money, "km_rate": formats.money,
    "hourly_rate": formats.money, "threshold": _percent, "minutes": _minutes,
    "locale": formats.language_name, "role": _roles,
    "old_roles": _roles, "new_roles": _roles,
}


def _value(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return str(_l("yes") if value else _l("no"))
    if isinstance(value, int):
        return str(value)  # ids, counts and years: 2026, not 2.026
    if isinstance(value, float | Decimal):
        return format_decimal(value)
    if isinstance(value, list | tuple):
        return ", ".join(_value(v) for v in value) or "–"
    if isinstance(value, dict):
        return "; ".join(f"{label}: {text}" for label, text in details_in_words(value))
    return str(value)


def details_in_words(details: dict | None) -> list[tuple[str, str]]:
    """The details of an event as (label, value) pairs in the interface language."""
    pairs = []
    for key, value in (details or {}).items():
        label = str(DETAIL_LABELS[key]) if key in DETAIL_LABELS else readable(str(key))
        shown = _FORMATS[key](value) if key in _FORMATS and value is not None else _value(value)
        pairs.append((label, shown))
    return pairs
