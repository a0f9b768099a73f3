"""Reading the app's own stylesheet in tests."""

from __future__ import annotations

import re
from pathlib import Path

STYLESHEET = Path(__file__).resolve().parents[2] / "duidingspool" / "static" / "pool.css"


def css_rule(selector: str) -> dict[str, str]:
    """The declarations of the stylesheet's rules whose selector list holds `selector`."""
    declarations: dict[str, str] = {}
    text = re.sub(r"/\*.*?\*/", "", STYLESHEET.read_text(), flags=re.S)
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", text):
        if selector in [s.strip() for s in selectors.split(",")]:
            for declaration in body.split(";"):
                if ":" in declaration:
                    name, value = declaration.split(":", 1)
                    declarations[name.strip()] = value.strip()
    return declarations
