"""Pure RFC 5545 helpers: a case table's recurrence rule and ICS feeds, expanded to sessions.

Nothing here touches the database or the request: the functions take text or bytes and a
time window and return plain values, or raise ValidationFailed with a message for people.
"""

from __future__ import annotations

import time as clock
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import icalendar
import recurring_ical_events
from dateutil.relativedelta import relativedelta
from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule, rrulestr
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from duidingspool.errors import ValidationFailed
from duidingspool.timeutil import LOCAL_TZ

# Sessions of a case table are at most daily; finer rules would flood the calendar.
ALLOWED_FREQUENCIES = {YEARLY, MONTHLY, WEEKLY, DAILY}
# The time of day comes from the first session, never from the rule.
_FORBIDDEN_RULE_PARTS = ("BYHOUR", "BYMINUTE", "BYSECOND", "DTSTART")
# An ICS feed with more occurrences than this within the horizon is refused, not truncated.
MAX_ICS_OCCURRENCES = 2000
_ICS_FORBIDDEN_FREQUENCIES = ("SECONDLY", "MINUTELY")


# --- bounded expansion -----------------------------------------------------------------------

class CalendarRefused(Exception):
    """A calendar whose recurrences cannot be expanded within bounds; `reason` for people."""

    def __init__(self, reason):
        super().__init__(str(reason))
        self.reason = reason


class ExpansionBudget:
    """How many occurrences an expansion may walk, and for how long, in all (a calendar
    import's recurrences together). Every occurrence walked counts, also one skipped later
    (transparent, cancelled, before the window)."""

    def __init__(self, *, occurrences: int, seconds: float):
        self.occurrences = occurrences
        self.seconds = seconds
        self.walked = 0
        self._deadline = clock.monotonic() + seconds

    def tick(self) -> None:
        self.walked += 1
        if self.walked > self.occurrences:
            raise CalendarRefused(_l("its recurrences give more than %(n)d occurrences to "
                                     "expand", n=self.occurrences))
        if clock.monotonic() > self._deadline:
            raise CalendarRefused(_l("its recurrences take longer than %(n)d seconds to "
                                     "expand", n=max(1, round(self.seconds))))


def expansion_budget(config: Mapping) -> ExpansionBudget:
    """A fresh budget from the settings ICS_MAX_OCCURRENCES and ICS_EXPANSION_SECONDS."""
    return ExpansionBudget(occurrences=int(config.get("ICS_MAX_OCCURRENCES", 50000)),
                           seconds=float(config.get("ICS_EXPANSION_SECONDS", 5)))


def _first(value):
    return value[0] if isinstance(value, list) and value else value


def _whole_periods(dtstart: datetime, freq: str, interval: int, target: datetime):
    """How far to move `dtstart` forward, by whole periods of the rule (so every later
    occurrence stays where it was), to land a period or more before `target`; None when the
    rule's periods cannot be counted exactly (months from a 29th-31st, 29 February)."""
    if freq in ("HOURLY", "DAILY", "WEEKLY"):
        step = {"HOURLY": timedelta(hours=interval), "DAILY": timedelta(days=interval),
                "WEEKLY": timedelta(weeks=interval)}[freq]
        # Wall-clock difference (the same zone on both sides), as the rule counts.
        periods = (target.replace(tzinfo=None) - dtstart.replace(tzinfo=None)) // step - 1
        return step * periods if periods > 0 else None
    if freq == "MONTHLY" and dtstart.day <= 28:
        months = (target.year - dtstart.year) * 12 + target.month - dtstart.month
        periods = months // interval - 1
        return relativedelta(months=periods * interval) if periods > 0 else None
    if freq == "YEARLY" and (dtstart.month, dtstart.day) != (2, 29):
        periods = (target.year - dtstart.year) // interval - 1
        return relativedelta(years=periods * interval) if periods > 0 else None
    return None


def _walk(text: str, dtstart: datetime, start: datetime, end: datetime,
          budget: ExpansionBudget) -> int:
    """Walk the rule's occurrences up to `end`, each counted against the budget; how many
    fall in the window from `start`."""
    try:
        rule = rrulestr(text, dtstart=dtstart)
        zone = dtstart.tzinfo
        begin, stop = ((start.astimezone(zone), end.astimezone(zone)) if zone else
                       (start.astimezone(LOCAL_TZ).replace(tzinfo=None),
                        end.astimezone(LOCAL_TZ).replace(tzinfo=None)))
    except (ValueError, TypeError):
        # UNTIL in another form than DTSTART (tolerated, see _check_event): in wall time.
        rule = rrulestr(text, dtstart=dtstart.replace(tzinfo=None), ignoretz=True)
        zone = dtstart.tzinfo or LOCAL_TZ
        begin, stop = (start.astimezone(zone).replace(tzinfo=None),
                       end.astimezone(zone).replace(tzinfo=None))
    within = 0
    for occurrence in rule:
        budget.tick()
        if occurrence > stop:
            break
        within += occurrence >= begin
    return within


def bound_recurrences(calendar, *, start: datetime, end: datetime,
                      budget: ExpansionBudget) -> int:
    """Make `calendar`'s recurring events safe to expand between `start` and `end`.

    Refuses (CalendarRefused) rules repeating every second or minute; moves the start of a
    rule without COUNT forward by whole periods to just before the window, so expansion
    starts at the window instead of at the first occurrence years ago; and walks every
    rule up to `end`, counting each occurrence against `budget`, so that a calendar whose
    expansion would exceed it is refused before the expansion itself runs. Returns how many
    occurrences the rules give within the window (before EXDATEs and overrides).
    """
    within = 0
    for event in calendar.walk("VEVENT"):
        rules = event.get("RRULE")
        rules = rules if isinstance(rules, list) else [rules] if rules is not None else []
        prop = event.get("DTSTART")
        if not rules or prop is None:
            continue
        freqs = [str(_first(r.get("FREQ")) or "").upper() for r in rules]
        if any(freq in _ICS_FORBIDDEN_FREQUENCIES for freq in freqs):
            raise CalendarRefused(_l("event %(uid)s repeats more often than hourly",
                                     uid=str(event.get("UID", ""))[:80]))
        intervals = [_first(r.get("INTERVAL")) or 1 for r in rules]
        if any(not isinstance(i, int) or i < 1 for i in intervals):
            raise CalendarRefused(_l("event %(uid)s has a recurrence INTERVAL below 1",
                                     uid=str(event.get("UID", ""))[:80]))
        raw = prop.dt
        all_day = not isinstance(raw, datetime)
        dtstart = datetime.combine(raw, time.min) if all_day else raw  # all-day: midnight
        if (len(rules) == 1 and not rules[0].get("COUNT")
                and not (all_day and freqs[0] == "HOURLY")):
            target = (start.astimezone(dtstart.tzinfo) if dtstart.tzinfo
                      else start.astimezone(LOCAL_TZ).replace(tzinfo=None))
            shift = _whole_periods(dtstart, freqs[0], intervals[0], target)
            if shift is not None:
                prop.dt = raw + shift
                dtstart = dtstart + shift
                end_prop = event.get("DTEND")
                if end_prop is not None:
                    end_prop.dt = end_prop.dt + shift
        for recur in rules:
            within += _walk(recur.to_ical().decode(), dtstart, start, end, budget)
    return within


def _rule_error(message) -> ValidationFailed:
    return ValidationFailed(_("The recurrence rule is not valid."),
                            fields={"rrule": [str(message)]})


def normalise_rule(text: str) -> str:
    """The rule text without an "RRULE:" prefix, surrounding space or trailing semicolon."""
    value = (text or "").strip()
    if value[:6].upper() == "RRULE:":
        value = value[6:]
    return value.strip().rstrip(";").upper()


def parse_rule(text: str, first_start: datetime) -> rrule:
    """A dateutil rule for `text`, anchored at `first_start` in Europe/Amsterdam wall time.

    Raises ValidationFailed (field `rrule`) for text dateutil cannot read, several rules, a
    frequency finer than daily or a rule that sets the time of day itself.
    """
    value = normalise_rule(text)
    if not value:
        raise _rule_error(_l("Enter a rule, for example FREQ=MONTHLY;BYDAY=2TU."))
    if "\n" in value or "\r" in value:
        raise _rule_error(_l("Enter a single rule on one line."))
    parts = {p.split("=", 1)[0].strip() for p in value.split(";") if p.strip()}
    if "FREQ" not in parts:
        raise _rule_error(_l("The rule needs a FREQ, for example FREQ=WEEKLY."))
    forbidden = sorted(parts & set(_FORBIDDEN_RULE_PARTS))
    if forbidden:
        raise _rule_error(_l("Leave out %(parts)s: the time comes from the first session.",
                             parts=", ".join(forbidden)))
    local_start = first_start.astimezone(LOCAL_TZ)
    try:
        try:
            rule = rrulestr(value, dtstart=local_start)
        except ValueError as exc:
            if "UNTIL" not in str(exc):
                raise
            # UNTIL given as a local date or time: read the rule in naive wall time.
            rule = rrulestr(value, dtstart=local_start.replace(tzinfo=None))
    except (ValueError, TypeError, AttributeError, IndexError) as exc:
        raise _rule_error(_l("It could not be read (%(reason)s).", reason=str(exc))) from exc
    if not isinstance(rule, rrule):
        raise _rule_error(_l("Enter a single rule on one line."))
    if rule._freq not in ALLOWED_FREQUENCIES:
        raise _rule_error(_l("Use FREQ=DAILY, WEEKLY, MONTHLY or YEARLY; sessions are at most daily."))
    if rule._interval < 1:  # dateutil would loop forever on INTERVAL=0
        raise _rule_error(_l("INTERVAL must be 1 or more."))
    return rule


def rule_occurrences(text: str, first_start: datetime, *, start: datetime,
                     end: datetime) -> list[datetime]:
    """Occurrence starts (aware UTC) of the rule between `start` and `end`, both inclusive.

    The rule runs in Europe/Amsterdam wall-clock time, so a 13:00 session stays at 13:00
    local across daylight-saving changes (and moves in UTC).
    """
    rule = parse_rule(text, first_start)
    naive = rule._dtstart.tzinfo is None
    lo, hi = start.astimezone(LOCAL_TZ), end.astimezone(LOCAL_TZ)
    if naive:
        # A window one day wider, so no occurrence is lost to the offset; trimmed below.
        lo = lo.replace(tzinfo=None) - timedelta(days=1)
        hi = hi.replace(tzinfo=None) + timedelta(days=1)
    found = []
    for occurrence in rule.between(lo, hi, inc=True):
        if occurrence.tzinfo is None:
            occurrence = occurrence.replace(tzinfo=LOCAL_TZ)
        # Re-attach the zone so the offset is the one of that date (the wall time is kept).
        at = occurrence.replace(tzinfo=LOCAL_TZ).astimezone(timezone.utc)
        if start <= at <= end:
            found.append(at)
    return found


@dataclass(frozen=True)
class IcsOccurrence:
    """One occurrence of an ICS event, in UTC; `origin_start` is its RECURRENCE-ID."""

    uid: str
    origin_start: datetime
    starts_at: datetime
    ends_at: datetime
    location: str | None
    cancelled: bool


def _ics_error(message) -> ValidationFailed:
    text = _("The calendar file is not valid: %(reason)s", reason=str(message))
    return ValidationFailed(text, fields={"file": [str(message)]})


def _as_utc(value, prop=None) -> datetime:
    """An ICS date-time as aware UTC; floating times are read in Europe/Amsterdam."""
    if value.tzinfo is None:
        if prop is not None and "TZID" in getattr(prop, "params", {}):
            raise _ics_error(_l("unknown time zone %(tzid)s", tzid=prop.params["TZID"]))
        value = value.replace(tzinfo=LOCAL_TZ)
    return value.astimezone(timezone.utc)


def _check_event(event) -> None:
    """Refuse an event we cannot place in time (the whole file is refused, nothing written)."""
    uid = str(event.get("UID", "")).strip()
    if not uid:
        raise _ics_error(_l("an event has no UID"))
    if event.get("DTSTART") is None:
        raise _ics_error(_l("event %(uid)s has no start (DTSTART)", uid=uid[:80]))
    errors = [name for name, _msg in getattr(event, "errors", [])
              if name in ("DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE",
                          "RECURRENCE-ID")]
    if errors:
        raise _ics_error(_l("event %(uid)s has an unreadable %(name)s", uid=uid[:80],
                            name=errors[0]))
    for prop_name in ("DTSTART", "DTEND", "RECURRENCE-ID"):
        prop = event.get(prop_name)
        if prop is None:
            continue
        value = prop.dt
        if isinstance(value, datetime):
            _as_utc(value, prop)
    rules = event.get("RRULE")
    for recur in (rules if isinstance(rules, list) else [rules] if rules is not None else []):
        text = recur.to_ical().decode() if hasattr(recur, "to_ical") else str(recur)
        freq = recur.get("FREQ") if hasattr(recur, "get") else None
        if not freq:
            raise _ics_error(_l("event %(uid)s has a recurrence rule without FREQ", uid=uid[:80]))
        if str(freq[0] if isinstance(freq, list) else freq).upper() in _ICS_FORBIDDEN_FREQUENCIES:
            raise _ics_error(_l("event %(uid)s repeats more often than hourly", uid=uid[:80]))
        intervals = recur.get("INTERVAL") if hasattr(recur, "get") else None
        for interval in (intervals if isinstance(intervals, list) else [intervals]
                         if intervals is not None else []):
            if not isinstance(interval, int) or interval < 1:
                raise _ics_error(_l("event %(uid)s has a recurrence INTERVAL below 1",
                                    uid=uid[:80]))
        # A UTC UNTIL (the RFC's form with a zoned DTSTART) reads with an aware start; a
        # local UNTIL (an RFC violation we tolerate) with the zone ignored or a naive start.
        attempts = ({"dtstart": datetime(2000, 1, 1, tzinfo=timezone.utc)},
                    {"dtstart": datetime(2000, 1, 1, tzinfo=timezone.utc), "ignoretz": True},
                    {"dtstart": datetime(2000, 1, 1)})
        for number, options in enumerate(attempts, start=1):
            try:
                rrulestr(text, **options)
                break
            except (ValueError, TypeError, AttributeError, IndexError) as exc:
                if number == len(attempts):
                    raise _ics_error(_l("event %(uid)s has an invalid recurrence rule",
                                        uid=uid[:80])) from exc


def _start_utc(value) -> datetime | None:
    """An occurrence start as UTC, or None for an all-day (date) value."""
    if isinstance(value, datetime):
        return _as_utc(value)
    return None


def _exdate_count(calendar) -> int:
    """How many EXDATE values the calendar's events have (each removes an occurrence)."""
    count = 0
    for event in calendar.walk("VEVENT"):
        values = event.get("EXDATE")
        for value in (values if isinstance(values, list) else [values] if values else []):
            count += len(getattr(value, "dts", [value]))
    return count


def _sort_key(value) -> datetime:
    """Timed and all-day starts in one order (an all-day start as local midnight)."""
    if isinstance(value, datetime):
        return _as_utc(value)
    return datetime.combine(value, time.min, LOCAL_TZ).astimezone(timezone.utc)


def parse_ics(data: bytes, *, start: datetime, end: datetime, default_duration: timedelta,
              budget: ExpansionBudget) -> list[IcsOccurrence]:
    """Every timed occurrence of the feed's events that starts between `start` and `end`.

    RRULE, RDATE, EXDATE and RECURRENCE-ID overrides are honoured (recurring-ical-events);
    TZIDs are resolved from VTIMEZONE or IANA names; all-day events are skipped; events
    without an end last `default_duration`. Titles and descriptions are not read.
    Raises ValidationFailed (field `file`) for anything malformed, before returning.
    """
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except (ValueError, KeyError, IndexError, TypeError, UnicodeDecodeError) as exc:
        raise _ics_error(_l("it could not be read as iCalendar")) from exc
    if getattr(calendar, "name", None) != "VCALENDAR":
        raise _ics_error(_l("it holds no VCALENDAR"))
    events = calendar.walk("VEVENT")
    if not events:
        # An empty feed would cancel every imported session: more likely a wrong file.
        raise _ics_error(_l("it holds no events"))
    for event in events:
        _check_event(event)

    found: dict[tuple[str, datetime], IcsOccurrence] = {}
    try:
        within = bound_recurrences(calendar, start=start, end=end, budget=budget)
        if within > MAX_ICS_OCCURRENCES + _exdate_count(calendar):
            raise _ics_error(_l("more than %(n)d sessions within the horizon",
                                n=MAX_ICS_OCCURRENCES))
        # between(), not after(): after() re-expands from the start for every later window.
        components = sorted(recurring_ical_events.of(calendar).between(start, end),
                            key=lambda c: _sort_key(c["DTSTART"].dt))
        for component in components:
            budget.tick()
            raw_start = component["DTSTART"].dt
            if not isinstance(raw_start, datetime):
                if isinstance(raw_start, date) and datetime.combine(
                        raw_start, time.min, LOCAL_TZ) > end:
                    break
                continue  # all-day event
            starts_at = _as_utc(raw_start)
            if starts_at > end:
                break
            if starts_at < start:
                continue
            uid = str(component["UID"]).strip()
            recurrence_id = component.get("RECURRENCE-ID")
            origin = _start_utc(recurrence_id.dt) if recurrence_id is not None else starts_at
            origin = origin or starts_at
            raw_end = component.get("DTEND")
            ends_at = _as_utc(raw_end.dt) if raw_end is not None and isinstance(
                raw_end.dt, datetime) else None
            if ends_at is None or ends_at <= starts_at:
                ends_at = starts_at + default_duration
            location = str(component.get("LOCATION") or "").strip()[:250] or None
            found[(uid, origin)] = IcsOccurrence(
                uid=uid[:255], origin_start=origin, starts_at=starts_at, ends_at=ends_at,
                location=location,
                cancelled=str(component.get("STATUS", "")).upper() == "CANCELLED",
            )
            if len(found) > MAX_ICS_OCCURRENCES:
                raise _ics_error(_l("more than %(n)d sessions within the horizon",
                                    n=MAX_ICS_OCCURRENCES))
    except ValidationFailed:
        raise
    except CalendarRefused as exc:
        raise _ics_error(exc.reason) from exc
    except (ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise _ics_error(_l("its events could not be expanded")) from exc
    return sorted(found.values(), key=lambda o: (o.starts_at, o.uid))


def count_past_events(data: bytes, *, start: datetime, imported_uids: set[str]) -> int:
    """How many events of a feed lie wholly before `start` (so none of them was imported).

    Counted per UID with no occurrence imported: a single event (no RRULE or RDATE) whose
    timed start is before `start`, or a series whose RRULE ends (UNTIL) before it. Rules
    without an end are never walked here (a series without sessions in the window may lie
    beyond the horizon); all-day events are skipped for another reason and not counted.
    Call it after `parse_ics` accepted the same data.
    """
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except (ValueError, KeyError, IndexError, TypeError, UnicodeDecodeError):
        return 0
    past: set[str] = set()
    for event in calendar.walk("VEVENT"):
        uid = str(event.get("UID", "")).strip()[:255]
        dtstart = event.get("DTSTART")
        if (not uid or uid in imported_uids or event.get("RECURRENCE-ID") is not None
                or dtstart is None or not isinstance(dtstart.dt, datetime)):
            continue
        rule = event.get("RRULE")
        if rule is None and event.get("RDATE") is None:
            ended = _as_utc(dtstart.dt) < start
        elif rule is not None and event.get("RDATE") is None and rule.get("UNTIL"):
            until = rule["UNTIL"][0]
            until = until if isinstance(until, datetime) else datetime.combine(
                until, time.max, LOCAL_TZ)
            ended = _as_utc(until) < start
        else:
            ended = False
        if ended:
            past.add(uid)
    return len(past)
