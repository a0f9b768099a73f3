"""Project-wide defaults for marshmallow: translated messages and database-sized integers.

marshmallow keeps its messages in English class attributes and formats them while
validating. `install()` replaces them with `LazyMessage`s: strings whose text is looked up
in the catalogue, in the current request's language, only when they are shown. It also
makes every Integer field refuse numbers that no INTEGER column can hold, so that an
absurd id is a validation error rather than a database error.
"""

from __future__ import annotations

import unicodedata

from flask_babel import gettext
from marshmallow import Schema, fields, validate


def N_(text: str) -> str:
    """Marks a message for extraction (pybabel keyword N_) without translating it yet."""
    return text


class LazyMessage(str):
    """A message id that translates itself when turned into text, formatting deferred.

    A `str` subclass so that marshmallow treats it as a message (it formats only strings);
    `format()` records its arguments instead of applying them to the English text.
    """

    def __new__(cls, msgid: str, steps: tuple = ()):
        obj = super().__new__(cls, msgid)
        obj._msgid = msgid
        obj._steps = steps
        return obj

    def format(self, *args, **kwargs):  # noqa: A003 - mirrors str.format
        return LazyMessage(self._msgid, self._steps + ((args, kwargs),))

    def __str__(self) -> str:
        text = gettext(self._msgid)
        for args, kwargs in self._steps:
            text = text.format(*args, **kwargs)
        return text

    def __reduce__(self):
        return (str, (str(self),))


_FIELD_MESSAGES = {
    fields.Field: {
        "required": N_("This field is required."),
        "null": N_("This field may not be empty."),
        "validator_failed": N_("Invalid value."),
    },
    fields.String: {"invalid": N_("Not a valid text."), "invalid_utf8": N_("Not a valid text.")},
    fields.Integer: {"invalid": N_("Not a valid whole number.")},
    fields.Number: {"invalid": N_("Not a valid number."), "too_large": N_("The number is too large.")},
    fields.Decimal: {"special": N_("Not a valid number.")},
    fields.Float: {"special": N_("Not a valid number.")},
    fields.Boolean: {"invalid": N_("Not a valid yes/no value.")},
    fields.Date: {"invalid": N_("Not a valid date."), "format": N_("Not a valid date."),
                  "out_of_range": N_("Give a date between 1900 and 2199.")},
    fields.DateTime: {"invalid": N_("Not a valid date and time."),
                      "invalid_awareness": N_("Give the date and time with a time zone."),
                      "format": N_("Not a valid date and time."),
                      "out_of_range": N_("Give a date between 1900 and 2199.")},
    fields.Time: {"invalid": N_("Not a valid time."), "format": N_("Not a valid time."),
                  "out_of_range": N_("Not a valid time.")},
    fields.List: {"invalid": N_("Not a valid list.")},
    fields.Nested: {"type": N_("Invalid type.")},
    fields.Email: {"invalid": N_("Not a valid e-mail address.")},
    fields.URL: {"invalid": N_("Not a valid web address.")},
    fields.Dict: {"invalid": N_("Not a valid mapping.")},
}

_VALIDATOR_MESSAGES = {
    validate.Length: {
        "message_min": N_("Use at least {min} characters or items."),
        "message_max": N_("Use at most {max} characters or items."),
        "message_all": N_("Use between {min} and {max} characters or items."),
        "message_equal": N_("Use exactly {equal} characters or items."),
    },
    validate.Range: {
        "message_min": N_("Must be {min_op} {{min}}."),
        "message_max": N_("Must be {max_op} {{max}}."),
        "message_all": N_("Must be {min_op} {{min}} and {max_op} {{max}}."),
        "message_gt": N_("greater than"),
        "message_gte": N_("at least"),
        "message_lt": N_("less than"),
        "message_lte": N_("at most"),
    },
    validate.OneOf: {"default_message": N_("Choose one of: {choices}.")},
    validate.Email: {"default_message": N_("Not a valid e-mail address.")},
    validate.URL: {"default_message": N_("Not a valid web address.")},
    validate.Regexp: {"default_message": N_("Not in the expected form.")},
}


_SCHEMA_MESSAGES = {"type": N_("Invalid input type."), "unknown": N_("Unknown field.")}


# The range of an INTEGER column on PostgreSQL (ids, minutes, counts).
DB_INT_MIN, DB_INT_MAX = -(2**31), 2**31 - 1
_integer_validated = fields.Integer._validated


def _validated_db_integer(self, value):
    number = _integer_validated(self, value)
    if number is not None and not DB_INT_MIN <= number <= DB_INT_MAX:
        raise self.make_error("too_large")
    return number


# Dates people can mean in this application; anything else is a typo (or an attack on
# date arithmetic: year 9999 plus one day does not exist).
DATE_YEARS = range(1900, 2200)
_temporal_deserialize = fields._TemporalField._deserialize


def _deserialize_plausible_date(self, value, attr, data, **kwargs):
    result = _temporal_deserialize(self, value, attr, data, **kwargs)
    if getattr(result, "year", None) is not None and result.year not in DATE_YEARS:
        raise self.make_error("out_of_range")
    return result


def install() -> None:
    """Replace marshmallow's English defaults with translated messages (idempotent), and
    bound Integer fields to the database's integer range.

    Must run before any schema class is defined: fields copy their messages when created.
    """
    fields.Integer._validated = _validated_db_integer
    fields._TemporalField._deserialize = _deserialize_plausible_date
    Schema._default_error_messages = {k: LazyMessage(v) for k, v in _SCHEMA_MESSAGES.items()}
    for cls, messages in _FIELD_MESSAGES.items():
        cls.default_error_messages = {
            **cls.default_error_messages,
            **{key: LazyMessage(text) for key, text in messages.items()},
        }
    for cls, messages in _VALIDATOR_MESSAGES.items():
        for attribute, text in messages.items():
            setattr(cls, attribute, LazyMessage(text))



# --- one field type for names and short labels -----------------------------------------

# Characters a name or label never holds: control characters (Unicode Cc: line breaks,
# tabs, NUL ...), the line and paragraph separators, and the bidirectional overrides that
# make text read differently than it is stored. (Zero-width joiners stay: some scripts
# need them in names.)
_NOT_IN_A_LABEL = frozenset("\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def has_control_characters(text: str) -> bool:
    """Whether `text` holds a character no name or label may hold (see Label)."""
    return any(unicodedata.category(ch) == "Cc" or ch in _NOT_IN_A_LABEL for ch in text)


class Label(fields.String):
    """A name or short label (a person's, a municipality's, a case table's, an area's ...):
    surrounding space trimmed, one line, no control characters. Such text reaches e-mail
    headers, calendar files and CSV exports, where a line break would break them. The HTML
    forms load through the same schemas, so this is the form's field type too."""

    default_error_messages = {
        "control": LazyMessage(N_("Use a single line without control characters."))}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if has_control_characters(text):
            raise self.make_error("control")
        return text
