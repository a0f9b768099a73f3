"""The one CSV writer of every export (year report tables, audit trail).

Semicolon separated with CRLF line ends, as Dutch Excel expects. A text cell that a
spreadsheet would run as a formula (CSV injection: it starts with `=`, `+`, `-`, `@`, a tab
or a carriage return) is written with a leading `'`, which spreadsheets show as text. Names
typed by users (municipalities, areas, experts, case tables) reach the exports, so every
text cell goes through this; numbers (int, Decimal, float) are written as they are, so a
negative amount stays a number.

Imports nothing of the app, so every feature may use it.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, TextIO

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Excel and LibreOffice open a UTF-8 CSV as UTF-8 only with this mark in front.
BOM = "\ufeff"


def cell(value: Any) -> Any:
    """`value` safe for a spreadsheet: None as "", text starting like a formula quoted."""
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


class Writer:
    """A csv.writer whose every cell goes through `cell`."""

    def __init__(self, out: TextIO):
        self._writer = csv.writer(out, delimiter=";", lineterminator="\r\n")

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)
