"""Input and output shapes of requests; the same input schema serves the form and the API."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, pre_load, validate

from duidingspool.referrals.models import Mode, ReferralStatus, Urgency

MAX_QUESTION_LENGTH = 2000


class RequestAreaInputSchema(Schema):
    """An expertise area a request needs, with the minimum level (1-3)."""

    area_id = fields.Integer(required=True, strict=False)
    min_level = fields.Integer(load_default=1, validate=validate.Range(min=1, max=3))


class RequestInputSchema(Schema):
    """A new request: a session of a case table, or a date window, and what is needed.

    `case_table_id` may be left out when `session_id` is given (the session names its
    case table); business rules (visibility, dates, areas) are checked by the service.
    """

    case_table_id = fields.Integer(load_default=None, allow_none=True)
    session_id = fields.Integer(load_default=None, allow_none=True)
    window_start = fields.Date(load_default=None, allow_none=True)
    window_end = fields.Date(load_default=None, allow_none=True)
    areas = fields.List(
        fields.Nested(RequestAreaInputSchema), required=True,
        validate=[validate.Length(min=1, error=_l("Choose at least one expertise area.")),
                  validate.Length(max=20)],
        error_messages={"required": _l("Choose at least one expertise area.")},
    )
    language = fields.String(load_default=None, allow_none=True,
                             validate=validate.Regexp(r"^[a-z]{2,3}$",
                                                      error=_l("Use a language code such as nl, en or ar.")))
    mode = fields.String(load_default=Mode.IN_PERSON.value,
                         validate=validate.OneOf([m.value for m in Mode]))
    estimated_hours = fields.Float(
        required=True,
        validate=validate.Range(min=0.25, max=40,
                                error=_l("Estimate between 0.25 and 40 hours.")),
        error_messages={"required": _l("Estimate the hours needed."),
                        "invalid": _l("Give the hours as a number, e.g. 2.5.")},
    )
    urgency = fields.String(load_default=Urgency.NORMAL.value,
                            validate=validate.OneOf([u.value for u in Urgency]))
    case_code = fields.String(load_default=None, allow_none=True,
                              validate=validate.Length(max=50))
    question = fields.String(
        required=True,
        validate=validate.Length(min=1, max=MAX_QUESTION_LENGTH,
                                 error=_l("Describe the question in at most 2000 characters.")),
        error_messages={"required": _l("Describe what must be interpreted.")},
    )
    previous_id = fields.Integer(load_default=None, allow_none=True)

    @pre_load
    def normalise(self, data, **kwargs):
        if isinstance(data, dict) and isinstance(data.get("language"), str):
            data = {**data, "language": data["language"].strip().lower() or None}
        return data

    def handle_error(self, error: ValidationError, data, *, many: bool, **kwargs):
        """Flatten nested messages (areas.0.min_level) to one list of strings per field."""
        messages = error.messages
        if isinstance(messages, dict) and isinstance(messages.get("areas"), dict):
            flat = []
            for index, value in sorted(messages["areas"].items(), key=lambda kv: str(kv[0])):
                if isinstance(value, dict):
                    for name, msgs in value.items():
                        for msg in (msgs if isinstance(msgs, list) else [msgs]):
                            flat.append(f"{int(index) + 1}. {name}: {msg}")
                else:
                    flat.extend(f"{int(index) + 1}. {m}" for m in
                                (value if isinstance(value, list) else [value]))
            raise ValidationError({**messages, "areas": flat}, data=data,
                                  valid_data=error.valid_data)
        raise error


class RequestCancelSchema(Schema):
    """Why a request is cancelled."""

    reason = fields.String(
        required=True,
        validate=validate.Length(min=1, max=500, error=_l("Give a reason of at most 500 characters.")),
        error_messages={"required": _l("Give a reason.")},
    )


class RequestListQuerySchema(Schema):
    """Filters of the request list."""

    status = fields.String(validate=validate.OneOf([s.value for s in ReferralStatus]))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class RequestCaseTableSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class RequestMunicipalitySchema(Schema):
    id = fields.Integer()
    name = fields.String()


class RequestSessionSchema(Schema):
    id = fields.Integer()
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    status = fields.String()


class RequestAreaSchema(Schema):
    area_id = fields.Integer(attribute="expertise_area_id")
    code = fields.Function(lambda item: item.area.code)
    name = fields.Function(lambda item: item.area.name_nl)
    min_level = fields.Integer()


class RequestSummarySchema(Schema):
    """A request as listed: everything but the question text."""

    id = fields.Integer(dump_only=True)
    reference = fields.String(dump_only=True)
    status = fields.String(dump_only=True)
    case_table = fields.Nested(RequestCaseTableSchema, dump_only=True)
    municipality = fields.Nested(RequestMunicipalitySchema, dump_only=True)
    session = fields.Nested(RequestSessionSchema, attribute="sitting", allow_none=True,
                            dump_only=True)
    window_start = fields.Date(allow_none=True, dump_only=True)
    window_end = fields.Date(allow_none=True, dump_only=True)
    areas = fields.List(fields.Nested(RequestAreaSchema), attribute="expertise",
                        dump_only=True)
    mode = fields.String(dump_only=True)
    language = fields.String(allow_none=True, dump_only=True)
    estimated_hours = fields.Method("get_estimated_hours", dump_only=True,
                                    metadata={"type": "number"})
    urgency = fields.String(dump_only=True)
    is_urgent = fields.Boolean(dump_only=True, metadata={
        "description": "Filed less than URGENT_LEAD_HOURS (72) before its session: offered "
                       "to the expert on duty first, with answer deadlines in hours"})
    urgent_answer_hours = fields.Integer(allow_none=True, dump_only=True, metadata={
        "description": "Hours each expert has to answer an offer of this urgent request"})
    answer_due_at = fields.AwareDateTime(allow_none=True, dump_only=True, metadata={
        "description": "When an urgent request should be booked by (filed + answer hours)"})
    case_code = fields.String(allow_none=True, dump_only=True)
    previous_id = fields.Integer(allow_none=True, dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)
    cancelled_at = fields.AwareDateTime(allow_none=True, dump_only=True)
    cancel_reason = fields.String(allow_none=True, dump_only=True)

    def get_estimated_hours(self, referral) -> float:
        return round(referral.estimated_minutes / 60, 2)


class RequestSchema(RequestSummarySchema):
    """A request in full, with its question text (reading it is audited)."""

    question = fields.String(allow_none=True, dump_only=True)
