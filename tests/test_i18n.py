"""The Dutch catalogue is complete, current and correct, and Dutch is the default language."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "duidingspool" / "translations" / "nl" / "LC_MESSAGES" / "messages.po"
MAPPING = ROOT / "config" / "babel.cfg"
# The keywords of `make extract-messages`: Babel's defaults plus the lazy variants.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "N_": None}

# printf-style (%(name)s, %d, %%) and str.format-style ({0}, {name}) placeholders.
PLACEHOLDER = re.compile(
    r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]"
    r"|\{[^{}]*\}"
)
MARKUP = re.compile(r"<[^>]+>|&#?\w+;")


def _forms(value) -> list[str]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _text(msgid) -> str:
    return _forms(msgid)[0]


@pytest.fixture(scope="module")
def catalog():
    with CATALOG.open("rb") as fh:
        return read_po(fh, locale="nl")


@pytest.fixture(scope="module")
def extracted():
    """(msgid, context, place) of every text the code and templates mark for translation."""
    with MAPPING.open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh, filename=str(MAPPING))
    found = []
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        msgid = message if isinstance(message, str) else message[0]
        if msgid:
            found.append((msgid, context, f"{filename}:{lineno}"))
    return found


def test_catalog_every_message_translated_and_not_fuzzy(catalog):
    untranslated = [_text(m.id) for m in catalog if m.id and not all(_forms(m.string))]
    fuzzy = [_text(m.id) for m in catalog if m.id and m.fuzzy]
    assert untranslated == [], f"untranslated in {CATALOG.name}: {untranslated}"
    assert fuzzy == [], f"fuzzy (unchecked) in {CATALOG.name}: {fuzzy}"


def test_catalog_plural_messages_have_every_form(catalog):
    wrong = [_text(m.id) for m in catalog
             if m.id and m.pluralizable and len(_forms(m.string)) != catalog.num_plurals]
    assert wrong == []


def test_catalog_placeholders_match(catalog):
    wrong = []
    for m in catalog:
        if not m.id:
            continue
        ids = [Counter(PLACEHOLDER.findall(text)) for text in _forms(m.id)]
        strs = [Counter(PLACEHOLDER.findall(text)) for text in _forms(m.string)]
        if m.pluralizable:
            # A singular form may leave out the count ("één zitting"); the plural keeps all.
            allowed = ids[0] | ids[-1]
            ok = all(not (s - allowed) for s in strs) and strs[-1] == ids[-1]
        else:
            ok = strs[0] == ids[0]
        if not ok:
            wrong.append((_text(m.id), m.string))
    assert wrong == [], f"placeholders differ between msgid and msgstr: {wrong}"


def test_catalog_markup_matches(catalog):
    wrong = [(_text(m.id), m.string) for m in catalog if m.id
             if any(Counter(MARKUP.findall(s)) != Counter(MARKUP.findall(_text(m.id)))
                    for s in _forms(m.string) if s)]
    assert wrong == [], f"HTML tags or entities differ between msgid and msgstr: {wrong}"


def test_catalog_passes_babel_checks(catalog):
    problems = [(_text(m.id), [str(e) for e in errors]) for m, errors in catalog.check()]
    assert problems == []


def test_catalog_holds_every_extracted_text(catalog, extracted):
    assert extracted, "extraction found no texts: is config/babel.cfg right?"
    missing = sorted({(msgid, place) for msgid, context, place in extracted
                      if catalog.get(msgid, context=context) is None})
    assert missing == [], (
        "texts missing from the Dutch catalogue; run `make extract-messages` and translate them:\n"
        + "\n".join(f"  {place}: {msgid!r}" for msgid, place in missing)
    )


def test_catalog_translates_every_extracted_text(catalog, extracted):
    untranslated = sorted({(msgid, place) for msgid, context, place in extracted
                           if (m := catalog.get(msgid, context=context)) is not None
                           and not all(_forms(m.string))})
    assert untranslated == [], "texts without a Dutch translation:\n" + "\n".join(
        f"  {place}: {msgid!r}" for msgid, place in untranslated)


def test_login_page_dutch_by_default(client):
    response = client.get("/login")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<html lang="nl">' in page
    assert "<h1>Inloggen</h1>" in page
    assert "Wachtwoord" in page


def test_login_page_english_after_choosing_english(client):
    chosen = client.post("/language", data={"locale": "en", "next": "/login"})

    assert chosen.status_code == 302
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "<h1>Log in</h1>" in page
    assert "Inloggen" not in page


def test_login_page_back_to_dutch_after_choosing_dutch(client):
    client.post("/language", data={"locale": "en"})
    client.post("/language", data={"locale": "nl"})

    page = client.get("/login").get_data(as_text=True)
    assert "<h1>Inloggen</h1>" in page


def test_language_unsupported_locale_keeps_dutch(client):
    client.post("/language", data={"locale": "de"})

    page = client.get("/login").get_data(as_text=True)
    assert "<h1>Inloggen</h1>" in page
