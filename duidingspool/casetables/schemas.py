"""Input and output shapes for municipalities, case tables and sessions (forms and API)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from duidingspool.casetables.models import ScheduleSource
from duidingspool.schema_defaults import Label
from duidingspool.timeutil import EARLIEST_DATE, LATEST_DATE, LOCAL_TZ, local_to_utc



def _in_range(day) -> None:
    """Refuse a date no session can have (and whose wall time may not convert)."""
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValidationError(_("Give a date between %(first)d and %(last)d.",
                                first=EARLIEST_DATE.year, last=LATEST_DATE.year))


class _LocalDateTime(fields.DateTime):
    """An aware datetime written in ISO 8601 with the Europe/Amsterdam offset."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return value.astimezone(LOCAL_TZ).isoformat()


class MunicipalitySchema(Schema):
    """A municipality: the admin form and its API shape."""

    id = fields.Integer(dump_only=True)
    name = Label(required=True, validate=validate.Length(min=1, max=100))
    cbs_code = fields.String(
        required=True,
        validate=validate.Regexp(r"^[Gg][Mm]\d{4}$",
                                 error=_l("Write GM followed by four digits, e.g. GM0153.")),
    )
    safety_region_id = fields.Integer(required=True)
    latitude = fields.Decimal(required=True, places=5, as_string=True,
                              validate=validate.Range(min=-90, max=90))
    longitude = fields.Decimal(required=True, places=5, as_string=True,
                               validate=validate.Range(min=-180, max=180))


class MunicipalityRefSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    cbs_code = fields.String()


class CaseTableFormSchema(Schema):
    """The admin form of a case table; the first session is given in local wall time."""

    name = Label(required=True, validate=validate.Length(min=1, max=150))
    host_organisation = Label(required=True, validate=validate.Length(min=1, max=150))
    host_municipality_id = fields.Integer(required=True)
    address = Label(required=True, validate=validate.Length(min=1, max=250))
    contact_email = fields.Email(load_default=None, validate=validate.Length(max=254))
    municipality_ids = fields.List(fields.Integer(), load_default=list)
    schedule_source = fields.String(
        load_default=ScheduleSource.RECURRENCE.value,
        validate=validate.OneOf([s.value for s in ScheduleSource]),
    )
    rrule = fields.String(load_default=None, validate=validate.Length(max=500))
    first_session_date = fields.Date(load_default=None, validate=_in_range)
    first_session_time = fields.Time(load_default=None)
    duration_minutes = fields.Integer(load_default=120, validate=validate.Range(min=15, max=720))
    ics_url = fields.Url(load_default=None, schemes={"http", "https"}, require_tld=False,
                         validate=validate.Length(max=1000))
    is_active = fields.Boolean(load_default=False)

    @validates_schema(skip_on_field_errors=False)
    def _date_and_time_together(self, data, **kwargs):
        has_date = data.get("first_session_date") is not None
        has_time = data.get("first_session_time") is not None
        if has_date != has_time:
            name = "first_session_time" if has_date else "first_session_date"
            raise ValidationError(_("Give both the date and the start time."), name)

    @post_load
    def _to_utc(self, data, **kwargs):
        day, at = data.pop("first_session_date"), data.pop("first_session_time")
        data["first_session_start"] = (
            local_to_utc(datetime.combine(day, at)) if day is not None and at is not None else None
        )
        return data


class CaseTableSchema(Schema):
    """A case table as the API shows it."""

    id = fields.Integer()
    name = fields.String()
    host_organisation = fields.String()
    host_municipality = fields.Nested(MunicipalityRefSchema)
    address = fields.String()
    contact_email = fields.String(allow_none=True)
    municipalities = fields.List(fields.Nested(MunicipalityRefSchema))
    schedule_source = fields.String()
    rrule = fields.String(allow_none=True)
    duration_minutes = fields.Integer()
    is_active = fields.Boolean()


class SittingSchema(Schema):
    """A session as the API shows it: times in ISO 8601 with the Europe/Amsterdam offset."""

    id = fields.Integer()
    case_table_id = fields.Integer()
    starts_at = _LocalDateTime()
    ends_at = _LocalDateTime()
    location = fields.String(allow_none=True)
    is_online = fields.Boolean()
    status = fields.String()
    sequence = fields.Integer()


class SittingQuerySchema(Schema):
    """Optional date range (local calendar days, inclusive) for listing sessions."""

    from_ = fields.Date(data_key="from", load_default=None)
    to = fields.Date(load_default=None)

    @validates_schema
    def _ordered(self, data, **kwargs):
        if data.get("from_") and data.get("to") and data["to"] < data["from_"]:
            raise ValidationError(_("Must not be before 'from'."), "to")


class IcsUrlSchema(Schema):
    """An ICS import from an address (the API's JSON body)."""

    url = fields.Url(required=True, schemes={"http", "https"}, require_tld=False,
                     validate=validate.Length(max=1000))


class ImportResultSchema(Schema):
    """What an ICS import did, in counts."""

    created = fields.Integer()
    updated = fields.Integer()
    cancelled = fields.Integer()
    unchanged = fields.Integer()
    skipped_past = fields.Integer(metadata={
        "description": "Events of the file that lie wholly in the past: they were skipped, as "
                       "only sessions from now up to the horizon are imported"})


class MoveSittingSchema(Schema):
    """Move a session: new local date, start and end time, place."""

    date = fields.Date(required=True, validate=_in_range)
    start_time = fields.Time(required=True)
    end_time = fields.Time(required=True)
    location = Label(load_default="", validate=validate.Length(max=250))
    is_online = fields.Boolean(load_default=False)

    @validates_schema(skip_on_field_errors=False)
    def _end_after_start(self, data, **kwargs):
        if data.get("start_time") and data.get("end_time") and data["end_time"] <= data["start_time"]:
            raise ValidationError(_("Must be after the start time."), "end_time")

    @post_load
    def _to_utc(self, data, **kwargs):
        day = data.pop("date")
        data["starts_at"] = local_to_utc(datetime.combine(day, data.pop("start_time")))
        data["ends_at"] = local_to_utc(datetime.combine(day, data.pop("end_time")))
        return data


class CancelSittingSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
