"""marshmallow's own messages follow the interface language."""

from flask_babel import force_locale
from marshmallow import Schema, ValidationError, fields, validate

from duidingspool.web import field_errors


class Sample(Schema):
    count = fields.Integer(validate=validate.Range(min=1, max=5))
    day = fields.Date(required=True)
    name = fields.String(validate=validate.Length(max=3))


def _errors(data):
    try:
        Sample().load(data)
    except ValidationError as exc:
        return field_errors(exc)
    raise AssertionError("no validation error")


def test_schema_messages_are_dutch_by_default(app):
    with app.test_request_context():
        errors = _errors({"count": 9, "name": "lang", "other": 1})

    assert errors == {
        "count": ["Moet minstens 1 en hoogstens 5 zijn."],
        "day": ["Dit veld is verplicht."],
        "name": ["Gebruik hoogstens 3 tekens of onderdelen."],
        "other": ["Onbekend veld."],
    }


def test_schema_messages_in_english(app):
    with app.test_request_context(), force_locale("en"):
        errors = _errors({"count": "x"})

    assert errors == {"count": ["Not a valid whole number."], "day": ["This field is required."]}


def test_integer_fields_refuse_numbers_beyond_the_database(app):
    with app.test_request_context(), force_locale("en"):
        errors = _errors({"count": 99999999999999999999, "day": "2026-01-01"})

    assert errors == {"count": ["The number is too large."]}


def test_huge_ids_in_urls_answer_404(client, app):
    assert client.get("/api/v1/requests/99999999999999999999").status_code == 404
    assert client.get("/verzoeken/99999999999999999999").status_code == 404


def test_dates_far_in_the_future_or_past_are_refused(app):
    with app.test_request_context(), force_locale("en"):
        errors = _errors({"day": "9999-12-31"})
        old = _errors({"day": "0001-01-01"})

    assert errors == {"day": ["Give a date between 1900 and 2199."]}
    assert old == {"day": ["Give a date between 1900 and 2199."]}
