from datetime import date

import pytest

from duidingspool.referrals.privacy import find_personal_data, is_valid_bsn, is_valid_iban, mask

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
