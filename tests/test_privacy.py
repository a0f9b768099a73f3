import string
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from duidingspool.errors import PrivacyViolation, ValidationFailed
from duidingspool.privacy import (
    KINDS,
    check_privacy,
    find_personal_data,
    is_valid_bsn,
    is_valid_iban,
    mask,
    privacy_errors,
)

TODAY = date(2026, 11, 22)


def kinds(text: str) -> list[tuple[str, str]]:
    return [(f.kind, f.fragment) for f in find_personal_data(text, today=TODAY)]


@pytest.mark.parametrize("text, expected", [
    ("BSN 123456782 graag", [("bsn", "12*****82")]),
    ("bsn: 1234.56.782.", [("bsn", "12*****82")]),
    ("nummer 123 456 782 bekend", [("bsn", "12*****82")]),
    ("zaak CT-123456782", [("bsn", "12*****82")]),
    ("mail naar jan.jansen@example.org svp", [("email", "ja****************rg")]),
    ("bel 06-12345678", [("phone", "06******78")]),
    ("bel 0612345678", [("phone", "06******78")]),
    ("bel 06 12 34 56 78", [("phone", "06******78")]),
    ("bel +31 6 1234 5678", [("phone", "+3********78")]),
    ("bel 0031612345678", [("phone", "00*********78")]),
    ("bel 020-1234567", [("phone", "02******67")]),
    ("bel (053) 481 23 45", [("phone", "05******45")]),
    ("rekening NL91ABNA0417164300", [("iban", "NL**************00")]),
    ("rekening NL91 ABNA 0417 1643 00 is bekend", [("iban", "NL**************00")]),
    ("rekening nl91abna0417164300", [("iban", "NL**************00")]),
    ("woont op 1234 AB 12", [("address", "12****12")]),
    ("woont op 1234AB, 5", [("address", "12***B5")]),
    ("Dorpsstraat 12, 1234 AB", [("address", "12****AB")]),
    ("Dorpsstraat 12a, 7511 JA Enschede", [("address", "12*****JA")]),
    ("geboren op 12-03-2004", [("birth_date", "12****04")]),
    ("12/03/2004", [("birth_date", "12****04")]),
    ("12.03.2004", [("birth_date", "12****04")]),
    ("2004-03-12", [("birth_date", "20****12")]),
    ("12 maart 2004", [("birth_date", "12*******04")]),
    ("March 12, 2004", [("birth_date", "Ma*******04")]),
    ("geboren 2004", [("birth_date", "2**4")]),
    ("geb. 12-3-04", [("birth_date", "1***4")]),
    ("geboortedatum: 3 mei 2010", [("birth_date", "3m****10")]),
    ("geboren in maart 2012", [("birth_date", "ma*****12")]),
])
def test_find_personal_data_names_what_it_found(text, expected):
    assert kinds(text) == expected


@pytest.mark.parametrize("text", [
    "nummer 123456789 klopt niet met de 11-proef",
    "000000000",
    "rekening NL92ABNA0417164300",
    "code ABCD1234EFGH5678IJ",
    "de casustafel begint om 13:00 uur",
    "13.00-15.00",
    "sinds 2019 actief op fora",
    "in 2024 12 zaken",
    "kosten € 1.250,00",
    "EUR 123.456.789",
    "zaak CT-2026-014",
    "ref DV-2026-00012",
    "hij is 17 jaar oud",
    "incident op 12-11-2026",
    "zitting 10-11-2026 13.00 uur",
    "postcodegebied 7511 JA",
    "geboren en getogen in Enschede",
    "31-02-2004 bestaat niet",
    "",
])
def test_find_personal_data_lets_innocent_text_pass(text):
    assert kinds(text) == []


def test_find_personal_data_reports_each_finding_in_text_order():
    text = "Mail a@b.nl of bel 0612345678; BSN 111222333."

    assert [f.kind for f in find_personal_data(text, today=TODAY)] == ["email", "phone", "bsn"]


def test_find_personal_data_counts_digits_inside_an_iban_once():
    assert kinds("NL91ABNA0417164300") == [("iban", "NL**************00")]


@pytest.mark.parametrize("digits, valid", [
    ("123456782", True), ("111222333", True), ("123456789", False), ("000000000", False),
    ("12345678", False),
])
def test_is_valid_bsn_applies_the_eleven_test(digits, valid):
    assert is_valid_bsn(digits) is valid


@pytest.mark.parametrize("value, valid", [
    ("NL91ABNA0417164300", True), ("DE89370400440532013000", True),
    ("NL91ABNA0417164301", False), ("XX00ABCDEFGHIJKLMN", False),
])
def test_is_valid_iban_applies_mod_97(value, valid):
    assert is_valid_iban(value) is valid


def test_mask_keeps_only_the_ends():
    assert mask("1234.56.782") == "12*****82"
    assert mask("12ab") == "1**b"


# --- common spellings that dodge a plain pattern (issue 14, finding 12) ------------------

@pytest.mark.parametrize("text, kind", [
    ("mail jan.jansen(at)example(dot)nl", "email"),
    ("mail jan.jansen (at) example (dot) nl", "email"),
    ("mail jan.jansen [at] example [dot] nl", "email"),
    ("mail jan.jansen{at}example{dot}org", "email"),
    ("mail jan.jansen at example dot nl", "email"),
    ("mail jan.jansen AT example DOT com", "email"),
    ("mail jan.jansen at example.nl", "email"),
    ("mail jan.jansen(at)example.nl", "email"),
    ("mail jan.jansen@example(dot)nl", "email"),
    ("mail jan.jansen [apenstaartje] example [punt] nl", "email"),
    ("mail jan.jansen＠example．nl", "email"),
    ("bsn 123-456-782", "bsn"),
    ("bsn 1234-56-782", "bsn"),
    ("bsn 123.456.782", "bsn"),
    ("bsn 123 456 782", "bsn"),
    ("bsn 12-345-67-82", "bsn"),
    ("bsn 123–456–782", "bsn"),
    ("bsn １２３４５６７８２", "bsn"),
    ("bsn 123\u200b456\u200b782", "bsn"),
    ("bel 053 - 481 23 45", "phone"),
    ("bel 053 -4812345", "phone"),
    ("bel (053) - 481 23 45", "phone"),
    ("bel 06 - 12 34 56 78", "phone"),
    ("bel +31 (0)53 - 481 23 45", "phone"),
    ("bel +31 (0) 6 1234 5678", "phone"),
    ("bel +31-6-12345678", "phone"),
    ("bel 0031 6 12 34 56 78", "phone"),
    ("bel 0031-53-4812345", "phone"),
    ("bel ０６１２３４５６７８", "phone"),
    ("bel 06\u00a012345678", "phone"),
    ("woont op 1234AB12", "address"),
    ("woont op 1234 AB12", "address"),
    ("woont op 1234AB12a", "address"),
    ("woont op １２３４ＡＢ １２", "address"),
])
def test_find_personal_data_catches_common_spellings(text, kind):
    assert [f.kind for f in find_personal_data(text, today=TODAY)] == [kind]


@pytest.mark.parametrize("text", [
    "hij at appels.Daarna ging hij naar huis",
    "we kijken at the bigger picture. dot",
    "de zitting is op 12-03-2026 om 13:00 uur",
    "van 13.00 - 15.00 uur",
    "kosten € 1.250,00 per dag, totaal 12.500",
    "tussen 2019 - 2024 actief",
    "dossiernummer 2026-00012",
    "in 2024 12 zaken, in 2025 15 zaken",
    "bereik 100 - 200 personen",
    "een lijst van 3 - 4 - 5 punten",
    "de casustafel van 10-11-2026 en 24-11-2026",
    "1234 AB is het postcodegebied",
])
def test_find_personal_data_lets_ordinary_dutch_text_pass(text):
    assert kinds(text) == []


def test_find_personal_data_reads_a_long_run_without_an_at_in_linear_time():
    # Once quadratic: every character started a new attempt at an e-mail address.
    assert find_personal_data("a" * 200_000 + "@example.org", today=TODAY)[0].kind == "email"


# --- properties over random text (hypothesis) --------------------------------------------

# Characters that normalise() leaves as they are, so positions in the text and in the
# findings agree.
_PLAIN = string.ascii_letters + string.digits + string.punctuation + " \n" + "éëïöüáàç€"
KNOWN = [
    ("bsn", "123456782"), ("bsn", "1234.56.782"), ("bsn", "123-456-782"),
    ("bsn", "123 456 782"),
    ("email", "jan.jansen@example.org"), ("email", "jan(at)example(dot)nl"),
    ("email", "jan [at] example [dot] nl"), ("email", "jan at example dot nl"),
    ("phone", "0612345678"), ("phone", "06-12345678"), ("phone", "020-1234567"),
    ("phone", "053 - 481 23 45"), ("phone", "+31 6 1234 5678"), ("phone", "0031612345678"),
    ("phone", "+31 (0)53 - 481 23 45"),
    ("iban", "NL91ABNA0417164300"), ("iban", "NL91 ABNA 0417 1643 00"),
    ("address", "1234 AB 12"), ("address", "1234AB12"), ("address", "Dorpsstraat 12, 1234 AB"),
    ("birth_date", "12-03-2004"), ("birth_date", "12 maart 2004"),
    ("birth_date", "geboren 2004"),
]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=3000))
def test_find_personal_data_never_raises_on_any_text(text):
    for finding in find_personal_data(text, today=TODAY):
        assert finding.kind in KINDS and 0 <= finding.start < finding.end


@settings(max_examples=300, deadline=None)
@given(prefix=st.text(alphabet=_PLAIN, max_size=300), known=st.sampled_from(KNOWN),
       suffix=st.text(alphabet=_PLAIN, max_size=300))
def test_known_personal_data_in_random_text_is_always_caught(prefix, known, suffix):
    kind, value = known
    text = f"{prefix} {value} {suffix}"
    start = len(prefix) + 1
    end = start + len(value)

    findings = find_personal_data(text, today=TODAY)

    assert any(f.start < end and start < f.end for f in findings), (kind, text)


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(filler=st.text(alphabet=_PLAIN, min_size=1, max_size=50), known=st.sampled_from(KNOWN),
       limit=st.integers(min_value=20, max_value=500))
def test_text_over_its_limit_is_refused_by_length_and_never_scanned(app, filler, known, limit):
    text = known[1] + " " + filler * (limit // len(filler) + 1)
    assert len(text) > limit

    with app.test_request_context():
        assert privacy_errors(limits={"reason": limit}, reason=text) == {}
        with pytest.raises(ValidationFailed) as refused:
            check_privacy(limits={"reason": limit}, reason=text)

    assert not isinstance(refused.value, PrivacyViolation)
    assert list(refused.value.fields) == ["reason"]


def test_privacy_errors_of_two_megabytes_answers_at_once(app, english):
    text = "a" * 2_000_000 + " jan@example.org"

    with app.test_request_context():
        assert privacy_errors(question=text) == {}
        with pytest.raises(ValidationFailed) as refused:
            check_privacy(question=text)

    assert refused.value.fields == {"question": ["At most 2000 characters."]}
