"""Template helpers behind the NL Design System macros of templates/_form.html and _table.html.

Error summaries name the field of each message and link to it, but a form's summary is
written before its fields. So each field macro remembers its label and id for the request
(`remember_field`), `error_summary` leaves a marker (`defer_error_summary`), and base.html,
which renders the page's content first, replaces the markers once every label is known.

Wide tables become stacked rows on a phone: each cell needs its column's header as a
`data-label` for the CSS to show it, which `with_cell_labels` adds to the rows the call
block of `data_table` writes, so no template repeats its headers.
"""

from __future__ import annotations

import re
from itertools import count

from flask import Flask, g, render_template, request
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape


def remember_field(name: str, id: str, label) -> str:
    """Note the label and id of the form field `name` for this request's error summaries."""
    fields = g.setdefault("ui_fields", {})
    fields.setdefault(str(name), (str(id), str(label)))
    return ""


def field_label(name: str) -> tuple[str, str] | None:
    """(id, label) of a field rendered on this page, or None."""
    return g.get("ui_fields", {}).get(str(name))


def in_form_order(errors: dict) -> list[tuple[str, list]]:
    """The (name, messages) of `errors` in the order their fields appear on the page; errors
    of no field on the page (a message for the whole form) first."""
    order = {name: index for index, name in enumerate(g.get("ui_fields", {}))}
    return sorted(errors.items(), key=lambda item: order.get(str(item[0]), -1))


def defer_error_summary(errors: dict, message=None) -> Markup:
    """A marker in the page for an error summary that base.html writes at the end."""
    summaries = g.setdefault("ui_summaries", [])
    counter = g.setdefault("ui_summary_counter", count(1))
    marker = Markup(f"<!--error-summary-{next(counter)}-->")
    summaries.append((marker, errors, message))
    return marker


def deferred_error_summaries() -> list:
    """(marker, errors, message) of every error summary of this page, taken once."""
    return g.pop("ui_summaries", [])


_CELL = re.compile(r"<(td|th|tr)\b([^>]*)>", re.IGNORECASE)
_COLSPAN = re.compile(r"""\bcolspan\s*=\s*["']?(\d+)""", re.IGNORECASE)
_CLASS = re.compile(r"""\bclass\s*=\s*"([^"]*)\"""", re.IGNORECASE)
_BLANK_CELL = re.compile(r"<td\b([^>]*)>(\s*)</td>", re.IGNORECASE)
_CELL_CLASS = {"td": "utrecht-table__cell", "th": "utrecht-table__header-cell",
               "tr": "utrecht-table__row"}


def _with_class(attrs: str, name: str) -> str:
    if _CLASS.search(attrs):
        return _CLASS.sub(lambda m: f'class="{name} {m.group(1)}"', attrs, count=1)
    return f' class="{name}"{attrs}'


def with_cell_labels(html, labels) -> Markup:
    """The rows `html` with the Utrecht table classes on rows and cells, and each cell's
    column header as its data-label (a colspan cell takes the first of its columns)."""
    labels = [f' data-label="{escape(label)}"' for label in labels]
    column = 0

    def tag(match: re.Match) -> str:
        nonlocal column
        kind, attrs = match.group(1).lower(), match.group(2)
        attrs = _with_class(attrs, _CELL_CLASS[kind])
        if kind == "tr":
            column = 0
            return f"<tr{attrs}>"
        if "data-label" not in attrs and column < len(labels):
            attrs += labels[column]
        span = _COLSPAN.search(attrs)
        column += int(span.group(1)) if span else 1
        return f"<{kind}{attrs}>"

    labelled = _CELL.sub(tag, str(html))
    # An empty cell has nothing to show in a stacked row: its label is hidden there too.
    return Markup(_BLANK_CELL.sub(lambda m: f"<td{_with_class(m.group(1), 'pool-table__blank')}>"
                                            f"{m.group(2)}</td>", labelled))


def confirm_step(*, title, question, button, back: str, consequences=(), danger: bool = True,
                 hidden=(), first_step_posts: bool = False):
    """The confirmation step of a destructive button, without JavaScript.

    The button is a link to the action's URL: GET shows a page that says what will happen
    and posts `confirm=yes` (and the `hidden` (name, value) pairs) back to the same URL.
    Returns that page (GET, or a POST without the confirmation, which changes nothing: 422),
    or None when the action is confirmed. With `first_step_posts` the button is a form
    (its fields in `hidden`) and its POST without confirmation is the question, not an error.
    """
    errors = {}
    if request.method == "POST" and first_step_posts:
        if request.form.get("confirm") == "yes":
            return None
    elif request.method == "POST":
        if request.form.get("confirm") == "yes":
            return None
        errors = {"confirm": [str(_l("Confirm with the button below first; nothing has "
                                     "been changed."))]}
    page = render_template("confirm.html", title=title, question=question,
                           consequences=list(consequences), action=request.path,
                           button=button, back=back, danger=danger, errors=errors,
                           hidden=[(name, value) for name, value in hidden if value is not None])
    return page, 422 if errors else 200


def _forget() -> None:
    # One request's fields and summaries (tests share one app context, and so `g`).
    for key in ("ui_fields", "ui_summaries", "ui_summary_counter"):
        g.pop(key, None)


def init_app(app: Flask) -> None:
    app.before_request(_forget)
    app.jinja_env.globals.update(
        remember_field=remember_field, field_label=field_label,
        defer_error_summary=defer_error_summary, in_form_order=in_form_order,
        deferred_error_summaries=deferred_error_summaries)
    app.jinja_env.filters["with_cell_labels"] = with_cell_labels
