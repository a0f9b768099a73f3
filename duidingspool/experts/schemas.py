"""Input and output shapes for expertise areas, expert profiles and availability."""

from __future__ import annotations

import re
from datetime import datetime

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from duidingspool.experts.services import LANGUAGE_CODES, clock, rate_on, today_local
from duidingspool.schema_defaults import Label
from duidingspool.timeutil import EARLIEST_DATE, LATEST_DATE, local_to_utc


class ExpertiseAreaSchema(Schema):
    """An expertise area: the admin form and its API shape."""

    id = fields.Integer(dump_only=True)
    code = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=50),
                  validate.Regexp(r"^[a-zA-Z0-9]+(?:[-_][a-zA-Z0-9]+)*$",
                                  error=_l("Use letters, digits and hyphens, e.g. right-wing-extremism."))],
    )
    name_nl = Label(required=True, validate=validate.Length(min=1, max=100))
    name_en = Label(required=True, validate=validate.Length(min=1, max=100))
    description = fields.String(load_default=None, validate=validate.Length(max=2000))
    is_active = fields.Boolean(dump_only=True)


# The levels an expert has in an area, and a request asks for at least (min_level).
LEVELS = (1, 2, 3)


class AreaChoiceSchema(Schema):
    """An active expertise area as a client fills it in a request's `areas`."""

    id = fields.Integer(metadata={"description": "The `area_id` of a request's areas"})
    code = fields.String()
    name_nl = fields.String()
    name_en = fields.String()
    levels = fields.Function(lambda _area: list(LEVELS),
                             metadata={"type": "array", "items": {"type": "integer"},
                                       "description": "The levels `min_level` can take"})


# --- Expert profiles -------------------------------------------------------------------------


class AreaLevel(fields.Field):
    """An expertise area with a level: "12:2" (a form select) or {"area_id": 12, "level": 2}."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            if isinstance(value, dict):
                area_id, level = int(value["area_id"]), int(value["level"])
            else:
                area_id, level = (int(part) for part in str(value).split(":", 1))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationError(_("Choose an area and a level 1-3.")) from exc
        if level not in (1, 2, 3):
            raise ValidationError(_("A level is 1, 2 or 3."))
        return area_id, level


class LanguageCodes(fields.Field):
    """ISO 639-1 codes: a list, or one text like "nl, en, ar"."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = re.split(r"[\s,;]+", value)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValidationError(_("Give language codes such as nl, en, ar."))
        codes = sorted({v.strip().lower() for v in value if v.strip()})
        unknown = [c for c in codes if c not in LANGUAGE_CODES]
        if unknown:
            raise ValidationError(_("Unknown language code: %(codes)s. Use ISO 639-1 codes "
                                         "such as nl, en, ar, tr.", codes=", ".join(unknown)))
        return codes


class ExpertProfileSchema(Schema):
    """The coordinator's expert profile form (areas, languages, limits, conflicts, vetting)."""

    home_municipality_id = fields.Integer(required=True, strict=False)
    max_travel_km = fields.Integer(required=True, strict=False,
                                   validate=validate.Range(min=0, max=1000))
    max_hours_per_month = fields.Integer(required=True, strict=False,
                                         validate=validate.Range(min=1, max=744))
    is_active = fields.Boolean(load_default=False)
    languages = LanguageCodes(load_default=list)
    areas = fields.List(AreaLevel(), load_default=list)
    conflict_municipality_ids = fields.List(fields.Integer(strict=False), load_default=list)
    vog_issued_on = fields.Date(load_default=None, allow_none=True)
    vog_expires_on = fields.Date(load_default=None, allow_none=True)
    confidentiality_signed_on = fields.Date(load_default=None, allow_none=True)
    confidentiality_expires_on = fields.Date(load_default=None, allow_none=True)

    @post_load
    def areas_by_id(self, data, **kwargs):
        data["areas"] = dict(data["areas"])
        return data


class ExpertCreateSchema(ExpertProfileSchema):
    """A new expert: a new user account (name, e-mail, initial password) or an existing user."""

    account = fields.String(load_default="new", validate=validate.OneOf(["new", "existing"]))
    email = fields.Email(required=True, validate=validate.Length(max=254))
    name = Label(load_default=None, validate=validate.Length(min=1, max=200))
    password = fields.String(load_default=None, validate=validate.Length(
        min=12, max=200, error=_l("Use at least 12 characters.")))


def _rate_in_range(value) -> None:
    if not 0 <= value <= 10000:
        raise ValidationError(_("Enter an amount between 0 and 10000."))


class RateSchema(Schema):
    """An hourly rate valid from a date on."""

    id = fields.Integer(dump_only=True)
    valid_from = fields.Date(required=True)
    hourly_rate = fields.Decimal(required=True, places=2, as_string=True,
                                 validate=_rate_in_range,
                                 metadata={"type": "string", "example": "112.50"})


class ExpertAreaSchema(Schema):
    area_id = fields.Integer(attribute="expertise_area_id")
    code = fields.Function(lambda e: e.area.code)
    name = fields.Function(lambda e: e.area.display_name(str(get_locale())))
    level = fields.Integer()


class HomeMunicipalitySchema(Schema):
    id = fields.Integer()
    name = fields.String()


class ExpertSchema(Schema):
    """An expert profile as the coordinator (or the expert themself) sees it."""

    id = fields.Integer()
    name = fields.Function(lambda e: e.user.name)
    email = fields.Function(lambda e: e.user.email)
    areas = fields.List(fields.Nested(ExpertAreaSchema), attribute="expertise")
    languages = fields.Function(lambda e: sorted(lang.language for lang in e.languages),
                                metadata={"type": "array", "items": {"type": "string"}})
    home_municipality = fields.Nested(HomeMunicipalitySchema)
    max_travel_km = fields.Integer()
    max_hours_per_month = fields.Integer()
    is_active = fields.Boolean()
    conflict_municipality_ids = fields.List(fields.Integer())
    vog_issued_on = fields.Date(allow_none=True)
    vog_expires_on = fields.Date(allow_none=True)
    confidentiality_signed_on = fields.Date(allow_none=True)
    confidentiality_expires_on = fields.Date(allow_none=True)
    current_rate = fields.Method("get_current_rate", allow_none=True,
                                 metadata={"type": "string", "nullable": True,
                                           "description": "Hourly rate valid today, e.g. 112.50"})
    rates = fields.List(fields.Nested(RateSchema))

    def get_current_rate(self, expert):
        rate = rate_on(expert, today_local())
        return None if rate is None else f"{rate.hourly_rate:.2f}"


# --- Availability ----------------------------------------------------------------------------


class ClockTime(fields.Field):
    """A wall-clock time "HH:MM" (00:00-24:00) loaded as minutes after midnight."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else clock(value)

    def _deserialize(self, value, attr, data, **kwargs):
        match = re.fullmatch(r"(\d{1,2}):(\d{2})", str(value).strip())
        if not match:
            raise ValidationError(_("Use HH:MM, e.g. 09:30."))
        hours, minutes = int(match.group(1)), int(match.group(2))
        if minutes > 59 or hours > 24 or (hours == 24 and minutes):
            raise ValidationError(_("Use a time between 00:00 and 24:00."))
        return hours * 60 + minutes


class LocalDateTime(fields.Field):
    """A date-time: with an offset as given, without one as Europe/Amsterdam wall time.

    Loaded as aware UTC; dumped as ISO 8601 with offset.
    """

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else value.isoformat()

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            parsed = datetime.fromisoformat(str(value).strip())
        except ValueError as exc:
            raise ValidationError(_("Give a date and time, e.g. 2027-03-01 09:00.")) from exc
        if not EARLIEST_DATE <= parsed.date() <= LATEST_DATE:
            raise ValidationError(_("Give a date between %(first)d and %(last)d.",
                                    first=EARLIEST_DATE.year, last=LATEST_DATE.year))
        return local_to_utc(parsed)


class WindowSchema(Schema):
    """A weekly availability window (0 = Monday; local wall-clock times)."""

    id = fields.Integer(dump_only=True)
    weekday = fields.Integer(required=True, strict=False, validate=validate.Range(min=0, max=6))
    start = ClockTime(required=True, attribute="start_minute", metadata={"type": "string",
                                                                        "example": "09:00"})
    end = ClockTime(required=True, attribute="end_minute", metadata={"type": "string",
                                                                    "example": "17:00"})

    @validates_schema
    def check_order(self, data, **kwargs):
        if data["start_minute"] >= data["end_minute"]:
            raise ValidationError(_("The end time must come after the start time."), "end")


class AbsenceSchema(Schema):
    """An absence from-to (local wall time in forms; ISO 8601 with offset in the API)."""

    id = fields.Integer(dump_only=True)
    starts_at = LocalDateTime(required=True, metadata={"type": "string", "format": "date-time"})
    ends_at = LocalDateTime(required=True, metadata={"type": "string", "format": "date-time"})
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))

    @validates_schema
    def check_order(self, data, **kwargs):
        if data["ends_at"] <= data["starts_at"]:
            raise ValidationError(_("The end must come after the start."), "ends_at")


class BusyIntervalSchema(Schema):
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()


class BusyCalendarSchema(Schema):
    """The address of the expert's own busy calendar (empty to remove it)."""

    busy_ics_url = fields.String(load_default=None, validate=validate.Length(max=1000))


class AvailabilitySchema(Schema):
    """An expert's availability: windows, absences and busy times (times only)."""

    expert_id = fields.Integer()
    windows = fields.List(fields.Nested(WindowSchema))
    absences = fields.List(fields.Nested(AbsenceSchema))
    busy = fields.List(fields.Nested(BusyIntervalSchema))
    busy_calendar = fields.Boolean(metadata={"description": "Whether a busy calendar is linked"})
    busy_refreshed_at = fields.AwareDateTime(allow_none=True)


class AvailabilityPutSchema(Schema):
    """Replace all weekly windows and absences."""

    windows = fields.List(fields.Nested(WindowSchema), required=True)
    absences = fields.List(fields.Nested(AbsenceSchema), required=True)
