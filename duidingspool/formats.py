"""Numbers, amounts, percentages, durations and language names in the interface language.

Jinja filters of the same names (duidingspool/web.py) and the audit trail's words use
these; they import nothing of the app, so every package may. Babel (through Flask-Babel)
writes them the way the locale does: `1.250,5` and `€ 1.250,00` in Dutch, `1,250.5` and
`€1,250.00` in English.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale
from babel.numbers import format_currency, format_decimal, get_group_symbol
from flask_babel import format_percent, get_locale

# Babel writes a number in about 10 µs, and a report page writes thousands (the year
# report over 2,000 amounts). The text of a number depends only on the number, the
# locale and the pattern, so the last few thousand are remembered per process; `typed`
# keeps 1 and 1.0 apart.
_MEMO = 8192


def _pattern(digits: int, *, fixed: bool = True) -> str:
    return "#,##0" + ("." + ("0" if fixed else "#") * digits if digits else "")


@lru_cache(maxsize=_MEMO, typed=True)
def _decimal_text(value, digits: int | None, locale: Locale | None) -> str:
    return format_decimal(value, format=None if digits is None else _pattern(digits),
                          locale=locale)


def number(value, digits: int | None = None) -> str:
    """A number: as it is (`digits` None, e.g. 1.250,5) or with exactly `digits` decimals."""
    if value is None or value == "":
        return ""
    return _decimal_text(value, digits, get_locale())


def percent(value, digits: int = 1) -> str:
    """A percentage given in percent (60.0 → 60%, 0.25 → 0,3% in Dutch), up to `digits`
    decimals."""
    if value is None or value == "":
        return ""
    try:
        fraction = Decimal(str(value)) / 100
    except (InvalidOperation, ValueError):
        return str(value)
    return format_percent(fraction, format=_pattern(digits, fixed=False) + "%")


def money(amount, *, whole: bool = False) -> str:
    """An amount in euros (€ 1.250,00 in Dutch); `whole`: without cents (€ 131.250), for
    the axis of a chart."""
    if amount is None or amount == "":
        return ""
    return _money_text(amount, whole, get_locale())


@lru_cache(maxsize=_MEMO, typed=True)
def _money_text(amount, whole: bool, locale: Locale | None) -> str:
    if not whole:
        return format_currency(amount, "EUR", locale=locale)
    pattern = locale.currency_formats["standard"].pattern if locale else "¤#,##0.00"
    pattern = pattern.split(";")[0].replace(".00", "")
    return format_currency(amount, "EUR", format=pattern, currency_digits=False, locale=locale)


def hours(minutes: int | None) -> str:
    """A duration of whole minutes as hours and minutes: 1:30."""
    if minutes is None:
        return ""
    whole, rest = divmod(minutes, 60)
    return f"{whole}:{rest:02d}"


def language_name(code: str | None) -> str:
    """A language code (ISO 639-1) by its name in the interface language: nl → Nederlands
    (Dutch in English); an unknown code as it is."""
    if not code:
        return ""
    locale = get_locale()
    name = locale.languages.get(code) if locale else None
    if not name:
        return code
    return name[:1].upper() + name[1:]


def decimal_input(value, digits: int = 2) -> str:
    """A number as a form field shows it for the user to change: 125.000,00 in Dutch."""
    return number(value, digits)


def _only_digits(text: str) -> bool:
    return re.fullmatch(r"\d+(\.\d+)?", text) is not None


def parse_decimal_input(text: str) -> str:
    """A number as the user typed it, in the interface language's way or the plain one
    (125.000,00 · 125000,00 · 125000.00 · 0,23 in Dutch; 125,000.00 in English), as plain
    text that a Decimal reads ("125000.00"). What is no number comes back as typed, for
    the form's own error message."""
    raw = text.strip().replace("€", "").replace("\xa0", "").replace("\u202f", "")
    raw = raw.replace(" ", "")
    sign = ""
    if raw[:1] in "-+" and raw[:1]:
        sign, raw = ("-" if raw[0] == "-" else ""), raw[1:]
    if "," in raw and "." in raw:
        decimal = "," if raw.rfind(",") > raw.rfind(".") else "."
        group = "." if decimal == "," else ","
        whole, _, fraction = raw.rpartition(decimal)
        if not re.fullmatch(r"[1-9]\d{0,2}(?:%s\d{3})+" % re.escape(group), whole):
            return text
        plain = whole.replace(group, "") + "." + fraction
    elif "," in raw or "." in raw:
        mark = "," if "," in raw else "."
        locale = get_locale()
        group = get_group_symbol(locale) if locale else ","
        if mark == group and re.fullmatch(r"[1-9]\d{0,2}(?:%s\d{3})+" % re.escape(mark), raw):
            plain = raw.replace(mark, "")  # 125.000 in Dutch, 125,000 in English
        elif raw.count(mark) == 1:
            plain = raw.replace(mark, ".")
        else:
            return text
    else:
        plain = raw
    return sign + plain if _only_digits(plain) else text
