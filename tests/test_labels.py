"""One field type for names and short labels: trimmed, one line, no control characters
(issue 14, finding 7)."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from duidingspool.accounts.schemas import UserInputSchema
from duidingspool.casetables.schemas import CaseTableFormSchema, MoveSittingSchema, MunicipalitySchema
from duidingspool.experts.schemas import ExpertCreateSchema, ExpertiseAreaSchema
from duidingspool.schema_defaults import Label

pytestmark = pytest.mark.usefixtures("english")

NAME_FIELDS = [
    (UserInputSchema, "name"), (MunicipalitySchema, "name"), (CaseTableFormSchema, "name"),
    (CaseTableFormSchema, "host_organisation"), (CaseTableFormSchema, "address"),
    (MoveSittingSchema, "location"), (ExpertiseAreaSchema, "name_nl"),
    (ExpertiseAreaSchema, "name_en"), (ExpertCreateSchema, "name"),
]


@pytest.mark.parametrize("schema, name", NAME_FIELDS)
def test_every_name_and_label_input_is_a_label(schema, name):
    assert isinstance(schema().fields[name], Label)


@pytest.mark.parametrize("value", ["Casustafel\nTwente", "Casustafel\r\nTwente", "Twente\x00",
                                   "Twente\tNoord", "Twente\u2028Noord", "Twente\u202eNoord",
                                   "\x1b[31mTwente"])
def test_label_refuses_control_characters(app, value):
    with pytest.raises(ValidationError) as refused:
        Label().deserialize(value)

    assert [str(m) for m in refused.value.messages] == [
        "Use a single line without control characters."]


def test_label_trims_and_keeps_ordinary_text(app):
    assert Label().deserialize("  Casustafel Zuid-Oost – Dieren 🌍 (ZWNJ: می\u200cخواهم)  ") == (
        "Casustafel Zuid-Oost – Dieren 🌍 (ZWNJ: می\u200cخواهم)")
