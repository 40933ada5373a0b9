"""Finding the app's HTML forms the way a person does: open every page the access matrix
says a role may see, and read the ``<form method="post">`` elements on it.

Used by test_form_bad_input.py; nothing here knows a route by name: the pages come from
the URL map and the matrix's rows (tests/integration/test_access_matrix.py and
access_rows/), so a new page with a form is walked as soon as it has its rows.
"""
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from sqlalchemy import func, select

from marketplace.extensions import db
from tests.integration.access_rows import ROW_MODULES
from tests.integration.test_access_matrix import (EXPECTED, URL_VALUES, _is_api_operation,
                                                  _sign_in, expected_status)
from tests.support.access import ByObject, ROLES, VISITOR

TEXT_TYPES = {"text", "search", "email", "tel", "url", None}
NUMBER_TYPES = {"number"}


@dataclass
class Field:
    name: str
    kind: str            # text, textarea, number, date, select, checkbox, radio, hidden, ...
    value: str = ""
    required: bool = False
    options: list = field(default_factory=list)

    @property
    def is_amount(self):
        return self.kind in NUMBER_TYPES or self.name.endswith(("_yuan", "_fen", "amount"))

    @property
    def is_text(self):
        return self.kind in TEXT_TYPES or self.kind == "textarea"


@dataclass
class Form:
    action: str
    page: str
    role: str
    enctype: str = ""
    fields: list = field(default_factory=list)

    def defaults(self):
        """What the browser would send untouched (first option of a select, checked
        boxes), hidden tokens included."""
        data = {}
        for f in self.fields:
            if f.kind in ("checkbox", "radio"):
                if f.value and f.name not in data and f.options:
                    data[f.name] = f.value
            elif f.kind == "select":
                data.setdefault(f.name, f.options[0] if f.options else "")
            elif f.kind not in ("submit", "button", "file", "reset", "image"):
                data.setdefault(f.name, f.value)
        return data

    @property
    def visible(self):
        return [f for f in self.fields
                if f.kind not in ("hidden", "submit", "button", "reset", "image", "file")]

    @property
    def key(self):
        """Forms are the same form when they post to the same rule with the same fields."""
        return (strip_ids(self.action), tuple(sorted(f.name for f in self.visible)))


def strip_ids(path):
    return "/".join("<id>" if part.isdigit() else part for part in path.split("/"))


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self._form, self._textarea, self._select = [], None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            if (attrs.get("method") or "get").lower() == "post":
                self._form = {"action": attrs.get("action") or "", "fields": [],
                              "enctype": attrs.get("enctype") or ""}
                self.forms.append(self._form)
            return
        if self._form is None or not attrs.get("name"):
            return
        if tag == "input":
            kind = (attrs.get("type") or "text").lower()
            checked = "checked" in attrs
            value = attrs.get("value") or ("y" if kind == "checkbox" else "")
            self._form["fields"].append(Field(
                attrs["name"], kind, value if (checked or kind not in ("checkbox", "radio"))
                else "", "required" in attrs, [value] if checked else []))
        elif tag == "textarea":
            self._textarea = Field(attrs["name"], "textarea", "", "required" in attrs)
            self._form["fields"].append(self._textarea)
        elif tag == "select":
            self._select = Field(attrs["name"], "select", "", "required" in attrs)
            self._form["fields"].append(self._select)
        elif tag == "option" and self._select is not None:
            value = attrs.get("value", "")
            if "selected" in attrs:
                self._select.options.insert(0, value)
            else:
                self._select.options.append(value)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


def parse_forms(html, page, role):
    parser = _FormParser()
    parser.feed(html)
    return [Form(action=urlsplit(urljoin(page, found["action"] or page)).path,
                 page=page, role=role, enctype=found["enctype"], fields=found["fields"])
            for found in parser.forms]


def get_pages(app):
    """Every (endpoint, variant) the matrix says a role sees with 200 on GET, with each
    such role (a page shows each role its own forms)."""
    pages = []
    for (endpoint, method), row in EXPECTED.items():
        if method != "GET" or _is_api_operation(app, endpoint) or endpoint.startswith("api."):
            continue
        variants = row.items() if isinstance(row, ByObject) else [(None, row)]
        for variant, by_role in variants:
            for role in ROLES:
                if expected_status(by_role, role) == 200:
                    pages.append((endpoint, variant, role))
    return pages


def owner_module(app, endpoint):
    for rows in ROW_MODULES:
        if rows.needs(app, endpoint) or any(name == endpoint for name, _m in rows.EXPECTED):
            return rows
    return None


def page_url(app, world, endpoint, variant, role):
    values = URL_VALUES.get(endpoint, lambda w, r, v: {})(world, role, variant)
    return app.url_map.bind("localhost").build(endpoint, values, method="GET")


def signed_in_client(app, world, role):
    client = app.test_client()
    if role != VISITOR:
        _sign_in(client, world.user(role))
    return client


# tables a refused form may still write to: the answer kept for a one-time token, sign-in
# bookkeeping
UNCOUNTED = {"idempotency_keys", "login_attempts"}


def row_counts():
    """The number of rows of every table, in one round trip."""
    tables = [t for t in db.metadata.sorted_tables if t.name not in UNCOUNTED]
    counts = db.session.execute(select(*[
        select(func.count()).select_from(t).scalar_subquery().label(t.name)
        for t in tables])).one()
    db.session.rollback()
    return dict(zip([t.name for t in tables], counts))
