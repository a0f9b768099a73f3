"""The privacy guard: find personal data in free text (SPEC section 7).

`find_personal_data(text)` is a pure function: it returns what it found, each finding with
its kind and the matched fragment masked for display ("12*****82"), so an error message can
name what was found without repeating it. `privacy_errors` and `check_privacy` turn findings
into messages per field for the services of every feature (a request's question, and every
free text that reaches another person: cancel and decline reasons, hour notes, absence
reasons); this module sits below the feature packages, so each may import it.

Bounded work: a text longer than its field's limit is never scanned (`privacy_errors`
leaves it to the field's length check, `check_privacy` refuses it by length), and every
pattern here runs in time linear in the text (no pattern can backtrack over more than a
bounded stretch from one start; `bench/privacy.py` shows the figures).

The text is read as NFKC (full-width digits and letters, the full-width @, non-breaking
spaces become their plain forms), with invisible characters (zero-width spaces, soft
hyphens) removed and Unicode dashes read as "-"; positions of findings refer to that form.

What counts as personal data here:

- `bsn`: 9 digits (also grouped with dots or spaces, e.g. 1234.56.782, or dashes,
  123-456-782 / 1234-56-782) that pass the 11-test; a 9-digit number failing the 11-test
  is accepted.
- `email`: an e-mail address, also written to dodge a filter: "jan(at)example(dot)nl",
  "jan [at] example [dot] nl", "jan at example dot nl", "jan AT example.nl".
- `phone`: a Dutch phone number: 06 plus 8 digits, a 10-digit number starting with 0
  (020-1234567), or +31 / 0031 followed by 9 digits, with "(0)" allowed after the country
  code; spaces and hyphens between digits and around the area code ("053 - 481 23 45",
  "+31 (0)6 - 1234 5678").
- `iban`: 2 letters, 2 check digits and up to 30 letters/digits (spaces allowed) that
  pass the mod-97 check, so random letter-digit strings are not flagged.
- `address`: a Dutch postcode (1234 AB) next to a house number, before it
  ("Dorpsstraat 12, 1234 AB") or after it ("1234 AB 12", "1234AB, 5", written together
  "1234AB12"). A postcode alone is accepted.
- `birth_date`: (a) a full calendar date (12-03-2004, 12/03/2004, 12.03.2004, 2004-03-12,
  12 maart 2004, 12 March 2004) whose year is a plausible birth year: from 1900 up to
  `YOUNGEST_SUBJECT_AGE` years before today; recent dates (an incident last week, the
  session date) are accepted. (b) A birth keyword (geboren, geb., geboortedatum,
  geboortejaar, born, date of birth, DOB) followed by a date, a month and year, or a
  year ("geboren 2004").

Kept out on purpose: times (13:00), years alone (in 2004), amounts (EUR 1.250,00), case
codes (CT-2026-014), ages (17 jaar).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _

from duidingspool.errors import PrivacyViolation, ValidationFailed

# A full date is read as a date of birth when it lies at least this many years back.
YOUNGEST_SUBJECT_AGE = 10
OLDEST_BIRTH_YEAR = 1900

KINDS = ("email", "iban", "phone", "bsn", "address", "birth_date")


@dataclass(frozen=True)
class Finding:
    """One piece of personal data: its kind, the masked fragment and where it was found."""

    kind: str
    fragment: str
    start: int
    end: int


def mask(value: str) -> str:
    """The value with all but its first and last two characters hidden (separators dropped)."""
    compact = re.sub(r"[^\w@+]", "", value)
    keep = 2 if len(compact) > 6 else 1
    if len(compact) <= 2:
        return "*" * len(compact)
    return compact[:keep] + "*" * (len(compact) - 2 * keep) + compact[-keep:]


# --- BSN -------------------------------------------------------------------------------

def is_valid_bsn(digits: str) -> bool:
    """The 11-test: d1*9 + d2*8 + ... + d8*2 - d9*1 is divisible by 11 (and not all zeros)."""
    if len(digits) != 9 or not digits.isdigit() or set(digits) == {"0"}:
        return False
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True)) - int(digits[8])
    return total % 11 == 0


# Digits joined by single dots or spaces; the whole run must hold exactly 9 digits.
_DIGIT_RUN = re.compile(r"(?<![\w.,/+€])\d(?:[. ]?\d)*(?![\w/]|[.,]\d)")
_PLAIN_NINE = re.compile(r"(?<![\w.,/+€])\d{9}(?![\w/]|[.,]\d)")
# Grouped with dashes (or mixed separators) as people write a BSN: 123-456-782, 1234-56-782.
_GROUPED_NINE = re.compile(
    r"(?<![\w.,/+€\-])(?:\d{3}[\-. ]\d{3}[\-. ]\d{3}|\d{4}[\-. ]\d{2}[\-. ]\d{3}|"
    r"\d{2}[\-. ]\d{3}[\-. ]\d{2}[\-. ]\d{2})(?![\w/\-]|[.,]\d)"
)


def _find_bsn(text: str):
    for pattern in (_PLAIN_NINE, _GROUPED_NINE, _DIGIT_RUN):
        for match in pattern.finditer(text):
            digits = re.sub(r"\D", "", match.group())
            if len(digits) == 9 and is_valid_bsn(digits):
                yield match.start(), match.end(), digits


# --- e-mail ----------------------------------------------------------------------------

# The local part starts only where a run of its characters starts (the look-behind), so a
# long run without an @ is read once, not once per character (that was quadratic). "at" and
# "dot" may be written out, in brackets or between spaces, to dodge a filter; every
# separator is bounded in length.
_OPEN, _CLOSE = r"[(\[{<]", r"[)\]}>]"
_AT = (rf"(?:@|\s{{0,2}}{_OPEN}\s{{0,2}}(?i:at|apenstaartje)\s{{0,2}}{_CLOSE}\s{{0,2}}"
       r"|\s{1,2}(?i:at)\s{1,2})")
_DOT = (rf"(?:\.|\s{{0,2}}{_OPEN}\s{{0,2}}(?i:dot|punt)\s{{0,2}}{_CLOSE}\s{{0,2}}"
        r"|\s{1,2}(?i:dot)\s{1,2})")
_EMAIL = re.compile(
    rf"(?<![\w.%+\-])[\w.%+\-]+(?P<at>{_AT})[\w\-]+(?:{_DOT}[\w\-]+)*{_DOT}"
    r"(?P<tld>[A-Za-z]{2,})"
)
# "at" between spaces is also plain Dutch and English ("hij at appels.Toen"): then only a
# common top-level domain makes it an address.
_SPACED_AT_TLDS = frozenset({
    "nl", "com", "org", "net", "eu", "be", "de", "fr", "uk", "info", "biz", "io", "me",
    "gov", "edu", "frl", "amsterdam", "online", "email", "mail",
})


def _find_email(text: str):
    for match in _EMAIL.finditer(text):
        if (match.group("at").strip().lower() == "at"
                and match.group("tld").lower() not in _SPACED_AT_TLDS):
            continue
        yield match.start(), match.end(), match.group()


# --- phone -----------------------------------------------------------------------------

# Between digits: nothing, a space, or a dash with a space on either side or both.
_SEP = r"(?: ?- ?| )?"
_PHONE_INTL = re.compile(
    rf"(?<![\w+])(?:\+ ?|00)31{_SEP}(?:\(0\){_SEP})?[1-9](?:{_SEP}\d){{8}}(?![\w]|[.,]\d)"
)
# Exactly ten digits (0 and nine more, the area code in brackets or not), so a number that
# follows after a space ("020-1234567 5 personen") does not hide the phone number.
_PHONE_NATIONAL = re.compile(
    rf"(?<![\w+\-/])(?<!\d[.,])(?:0(?:{_SEP}\d){{9}}|\(0\d\){_SEP}\d(?:{_SEP}\d){{7}}|"
    rf"\(0\d\d\){_SEP}\d(?:{_SEP}\d){{6}}|\(0\d\d\d\){_SEP}\d(?:{_SEP}\d){{5}})"
    r"(?![\w/]|[.,\-]\d)"
)


def _find_phone(text: str):
    for match in _PHONE_INTL.finditer(text):
        yield match.start(), match.end(), match.group()
    for match in _PHONE_NATIONAL.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if len(digits) == 10 and digits[1] != "0":
            yield match.start(), match.end(), match.group()


# --- IBAN ------------------------------------------------------------------------------

_IBAN_START = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}")


def is_valid_iban(value: str) -> bool:
    """The ISO 13616 mod-97 check on an IBAN without spaces."""
    value = value.upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", value):
        return False
    rearranged = value[4:] + value[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


def _find_iban(text: str):
    for match in _IBAN_START.finditer(text):
        # Collect up to 34 characters, allowing single spaces between them, and try the
        # longest candidate that ends on a word boundary and passes the check.
        ends: list[tuple[int, str]] = []
        chars = match.group()
        pos = match.end()
        while len(chars) < 34 and pos < len(text):
            if text[pos].isalnum() and text[pos].isascii():
                chars += text[pos]
                pos += 1
            elif text[pos] == " " and pos + 1 < len(text) and text[pos + 1].isalnum():
                pos += 1
                continue
            else:
                break
            if len(chars) >= 15 and (pos >= len(text) or not text[pos].isalnum()):
                ends.append((pos, chars))
        for end, candidate in reversed(ends):
            if is_valid_iban(candidate):
                yield match.start(), end, candidate.upper()
                break


# --- postcode with house number ---------------------------------------------------------

_POSTCODE = r"[1-9]\d{3} ?(?!SA|SD|SS)[A-Z]{2}(?![A-Za-z])"
_HOUSE_NUMBER = r"\d{1,5}(?: ?[A-Za-z](?![A-Za-z]))?(?:[-/]\d{1,4})?"
_ADDRESS = re.compile(
    rf"(?:(?<![\d.,])(?P<before>{_HOUSE_NUMBER})[ ,]{{1,3}})?"
    rf"(?<!\d)(?P<postcode>{_POSTCODE})"
    rf"(?:[ ,]{{0,3}}(?:nr\.? ?|huisnummer ?)?(?P<after>{_HOUSE_NUMBER})(?![\d:.,]\d|\d))?"
)


def _find_address(text: str):
    for match in _ADDRESS.finditer(text):
        if match.group("before") or match.group("after"):
            yield match.start(), match.end(), match.group()


# --- date of birth ----------------------------------------------------------------------

_MONTHS = {
    "januari": 1, "jan": 1, "january": 1, "februari": 2, "feb": 2, "february": 2,
    "maart": 3, "mrt": 3, "mar": 3, "march": 3, "april": 4, "apr": 4, "mei": 5, "may": 5,
    "juni": 6, "jun": 6, "june": 6, "juli": 7, "jul": 7, "july": 7, "augustus": 8,
    "aug": 8, "august": 8, "september": 9, "sep": 9, "sept": 9, "oktober": 10, "okt": 10,
    "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}
_MONTH_NAME = "(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"

_DMY = re.compile(r"(?<![\w\-/.])(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})(?![\w/]|[-.]\d)")
_YMD = re.compile(r"(?<![\w\-/.])(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?![\w/]|[-.]\d)")
_D_MONTH_Y = re.compile(rf"(?<!\w)(\d{{1,2}}) ({_MONTH_NAME}) (\d{{4}})(?!\w)", re.IGNORECASE)
_MONTH_D_Y = re.compile(rf"(?<!\w)({_MONTH_NAME}) (\d{{1,2}}),? (\d{{4}})(?!\w)", re.IGNORECASE)
_BIRTH_KEYWORD = re.compile(
    r"(?<!\w)(?:geboren|geb\.|geb(?=\s)|geboortedatum|geboortejaar|geb\.? ?datum|born|"
    r"date of birth|d\.?o\.?b\.?)(?:[\s:,]{1,5}(?:op|in|on|de|d\.d\.|rond|omstreeks)){0,3}"
    r"[\s:,]{0,5}",
    re.IGNORECASE,
)
_MONTH_YEAR = re.compile(rf"({_MONTH_NAME}) (\d{{4}})(?!\w)", re.IGNORECASE)
_YEAR = re.compile(r"(\d{4}|'\d{2})(?!\w)")


def _valid_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _full_year(year: str, today: date) -> int:
    if len(year) == 4:
        return int(year)
    two = int(year)
    return 2000 + two if 2000 + two <= today.year else 1900 + two


def _dates(text: str, today: date, pos: int = 0, anchored: bool = False):
    """Full calendar dates in `text` as (start, end, year); anchored: only one at `pos`."""
    patterns = (
        (_DMY, lambda m: (m.group(4), int(m.group(3)), int(m.group(1)))),
        (_YMD, lambda m: (m.group(1), int(m.group(3)), int(m.group(4)))),
        (_D_MONTH_Y, lambda m: (m.group(3), _MONTHS[m.group(2).lower().rstrip(".")],
                                int(m.group(1)))),
        (_MONTH_D_Y, lambda m: (m.group(3), _MONTHS[m.group(1).lower().rstrip(".")],
                                int(m.group(2)))),
    )
    for pattern, parts in patterns:
        matches = [pattern.match(text, pos)] if anchored else pattern.finditer(text, pos)
        for match in matches:
            if match is None:
                continue
            year, month, day = parts(match)
            full_year = _full_year(year, today)
            if _valid_date(full_year, month, day):
                yield match.start(), match.end(), full_year, len(year) == 4


def _find_birth_date(text: str, today: date):
    latest = today.year - YOUNGEST_SUBJECT_AGE
    for start, end, year, four_digits in _dates(text, today):
        if four_digits and OLDEST_BIRTH_YEAR <= year <= latest:
            yield start, end, text[start:end]
    for keyword in _BIRTH_KEYWORD.finditer(text):
        pos = keyword.end()
        found = next(iter(_dates(text, today, pos, anchored=True)), None)
        if found is not None:
            yield keyword.start(), found[1], text[pos:found[1]]
            continue
        for pattern in (_MONTH_YEAR, _YEAR):
            match = pattern.match(text, pos)
            if match is None:
                continue
            year = _full_year(match.group(match.lastindex).lstrip("'"), today)
            if OLDEST_BIRTH_YEAR <= year <= today.year:
                yield keyword.start(), match.end(), match.group()
                break


# --- all together -----------------------------------------------------------------------

# Invisible characters that split a number or an address without showing: removed.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u180e\u200b\u200c\u200d\u2060\ufeff"))
# Dashes and minus signs that look like "-".
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63"), "-")


def normalise(text: str) -> str:
    """The text as the detectors read it: NFKC (full-width digits and letters, the
    full-width @ and non-breaking spaces in their plain forms), invisible characters
    removed, Unicode dashes as "-"."""
    return unicodedata.normalize("NFKC", text).translate(_INVISIBLE).translate(_DASHES)


def find_personal_data(text: str | None, *, today: date | None = None) -> list[Finding]:
    """Every piece of personal data in `text`, in text order; overlaps count once.

    Detectors run from the most to the least specific (an e-mail address before the
    digits in it, an IBAN before a BSN-like part of it); a later match overlapping an
    earlier one is dropped. Positions refer to `normalise(text)`. Linear in the length of
    the text; callers bound that length first (`privacy_errors`, `check_privacy`).
    """
    if not text:
        return []
    text = normalise(text)
    today = today or date.today()
    detectors = (
        ("email", _find_email(text)),
        ("iban", _find_iban(text)),
        ("phone", _find_phone(text)),
        ("birth_date", _find_birth_date(text, today)),
        ("bsn", _find_bsn(text)),
        ("address", _find_address(text)),
    )
    # One flag per character: a match overlaps an earlier one when any of its characters
    # is taken (linear, however many findings).
    taken = bytearray(len(text))
    findings: list[Finding] = []
    for kind, matches in detectors:
        for start, end, value in matches:
            if taken.find(1, start, end) != -1:
                continue
            taken[start:end] = b"\x01" * (end - start)
            findings.append(Finding(kind=kind, fragment=mask(value), start=start, end=end))
    return sorted(findings, key=lambda f: f.start)


# --- messages per field, for the services -----------------------------------------------

# The longest free text any field takes; a field's own limit is passed where it is smaller.
DEFAULT_MAX_LENGTH = 2000


def _finding_message(finding: Finding) -> str:
    fragment = finding.fragment
    messages = {
        "bsn": _("Contains a BSN (%(fragment)s).", fragment=fragment),
        "email": _("Contains an e-mail address (%(fragment)s).", fragment=fragment),
        "phone": _("Contains a phone number (%(fragment)s).", fragment=fragment),
        "iban": _("Contains a bank account number, IBAN (%(fragment)s).", fragment=fragment),
        "address": _("Contains a postcode with house number (%(fragment)s).",
                     fragment=fragment),
        "birth_date": _("Contains what looks like a date of birth (%(fragment)s).",
                        fragment=fragment),
    }
    return messages[finding.kind]


def privacy_errors(*, today: date | None = None, limits: dict[str, int] | None = None,
                   **texts: str | None) -> dict[str, list[str]]:
    """Per field, a message for each piece of personal data found in its text.

    A text longer than its field's limit (`limits[field]`, else DEFAULT_MAX_LENGTH) is not
    scanned at all: the field's length check refuses it (bounded work, whatever is sent).
    """
    limits = limits or {}
    errors: dict[str, list[str]] = {}
    for field, text in texts.items():
        if not isinstance(text, str) or len(text) > limits.get(field, DEFAULT_MAX_LENGTH):
            continue
        findings = find_personal_data(text, today=today)
        if findings:
            errors[field] = [_finding_message(f) for f in findings] + [
                _("Describe what must be interpreted, never who: leave out names, BSN, "
                  "addresses, phone numbers, e-mail addresses and dates of birth.")
            ]
    return errors


def check_privacy(*, today: date | None = None, limits: dict[str, int] | None = None,
                  **texts: str | None) -> None:
    """Refuse texts longer than their field's limit (ValidationFailed, before any pattern
    runs), then raise PrivacyViolation naming, per field, the personal data found."""
    limits = limits or {}
    too_long = {field: [_("At most %(n)d characters.", n=limits.get(field, DEFAULT_MAX_LENGTH))]
                for field, text in texts.items()
                if isinstance(text, str) and len(text) > limits.get(field, DEFAULT_MAX_LENGTH)}
    if too_long:
        raise ValidationFailed(_("The text is too long."), fields=too_long)
    errors = privacy_errors(today=today, limits=limits, **texts)
    if errors:
        raise PrivacyViolation(_("The text holds personal data; remove it and try again."),
                               fields=errors)
