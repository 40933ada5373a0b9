"""Forms of the catalogue (they validate and populate, never save), and the parsing of
the public search page's query string."""
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, IntegerField, RadioField, SelectField, StringField,
                     SubmitField, TextAreaField)
from wtforms.validators import (DataRequired, InputRequired, Length, NumberRange, Optional,
                                Regexp)

from marketplace.agencies.models import AgencyType
from marketplace.catalogue.services import SORTS, CatalogueQuery
from marketplace.core.forms import MAX_AMOUNT_FEN, YuanField
from marketplace.core.money import MoneyError, yuan_to_fen

MAX_QUERY_LENGTH = 100
NO_PARENT = 0


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class OfferingForm(FlaskForm):
    title = StringField(_l("Title"), filters=[_strip],
                        validators=[DataRequired(), Length(max=200)])
    category_id = SelectField(_l("Service category"), coerce=int,
                              validators=[InputRequired()])
    description = TextAreaField(_l("Description"), filters=[_strip],
                                validators=[DataRequired(), Length(min=10, max=5000)])
    deliverables = TextAreaField(_l("Deliverables"), filters=[_strip],
                                 validators=[DataRequired(), Length(max=2000)])
    price_model = RadioField(_l("Price"), default="fixed", choices=[
        ("fixed", _l("Fixed price")),
        ("quotation", _l("On quotation")),
    ], validators=[InputRequired()])
    price = YuanField(_l("Fixed price (yuan)"), validators=[Optional()])
    guide_min = YuanField(_l("Guide price from (yuan, optional)"), minimum_fen=0,
                          validators=[Optional()])
    guide_max = YuanField(_l("Guide price up to (yuan, optional)"), minimum_fen=0,
                          validators=[Optional()])
    typical_duration_days = IntegerField(
        _l("Typical duration (days)"), default=10,
        validators=[InputRequired(), NumberRange(min=1, max=3650,
                                                 message=_l("Between 1 and 3650 days."))])
    accepts_vouchers = BooleanField(_l("Accepts innovation vouchers"), default=True)
    submit = SubmitField(_l("Save the offering"))

    def validate(self, extra_validators=None):
        super().validate(extra_validators)
        if self.price_model.data == "fixed":
            irrelevant = (self.guide_min, self.guide_max)
            if self.price.data is None and not self.price.errors:
                self.price.errors = [_l("Give the fixed price.")]
        else:
            irrelevant = (self.price,)
            low, high = self.guide_min.data, self.guide_max.data
            if low is not None and high is not None and low > high:
                self.guide_min.errors = list(self.guide_min.errors) + [
                    _l("The lower end of the guide range is above its upper end.")]
        for unused in irrelevant:   # what was typed for the other price model is dropped
            unused.errors = []
        return not any(f.errors for f in self)

    def set_categories(self, tree, locale):
        self.category_id.choices = [(c.id, "— " * depth + c.display_name(locale))
                                    for c, depth in tree]

    def offering_fields(self):
        """The values for ``create_offering`` / ``update_offering``."""
        fixed = self.price_model.data == "fixed"
        return {"title": self.title.data, "category_id": self.category_id.data,
                "description": self.description.data,
                "deliverables": self.deliverables.data,
                "price_model": self.price_model.data,
                "price_fen": self.price.data if fixed else None,
                "guide_min_fen": None if fixed else self.guide_min.data,
                "guide_max_fen": None if fixed else self.guide_max.data,
                "typical_duration_days": self.typical_duration_days.data,
                "accepts_vouchers": bool(self.accepts_vouchers.data)}

    def fill_from(self, offering):
        self.title.data = offering.title
        self.category_id.data = offering.category_id
        self.description.data = offering.description
        self.deliverables.data = offering.deliverables
        self.price_model.data = offering.price_model.value
        self.price.data = offering.price_fen
        self.guide_min.data = offering.guide_min_fen
        self.guide_max.data = offering.guide_max_fen
        self.typical_duration_days.data = offering.typical_duration_days
        self.accepts_vouchers.data = offering.accepts_vouchers


class TakeDownForm(FlaskForm):
    reason = TextAreaField(_l("Reason for taking it down (the agency sees it)"),
                           filters=[_strip],
                           validators=[DataRequired(message=_l("Please give a reason.")),
                                       Length(max=2000)])
    submit = SubmitField(_l("Take the offering down"))


class CategoryForm(FlaskForm):
    code = StringField(_l("Code"), filters=[_strip], validators=[
        DataRequired(), Length(max=40),
        Regexp(r"^[a-z0-9_]+$", message=_l("Lower-case letters, digits and _."))])
    name_zh = StringField(_l("Name (Chinese)"), filters=[_strip],
                          validators=[DataRequired(), Length(max=64)])
    name_en = StringField(_l("Name (English)"), filters=[_strip],
                          validators=[DataRequired(), Length(max=128)])
    parent_id = SelectField(_l("Parent category"), coerce=int, default=NO_PARENT,
                            validators=[InputRequired()])
    technology_field_code = SelectField(
        _l("Suggested technology field"), default="",
        description=_l("Suggested to agencies quoting an offering of this category (a "
                       "sub-category without one takes its parent's)."))
    sort_order = IntegerField(_l("Sort order"), default=0,
                              validators=[InputRequired(), NumberRange(min=0, max=100000)])
    is_active = BooleanField(_l("In use"), default=True)
    submit = SubmitField(_l("Save"))

    def set_fields(self, choices):
        self.technology_field_code.choices = [("", _l("(none)"))] + list(choices)

    def set_parents(self, tree, locale, excluded=()):
        self.parent_id.choices = [(NO_PARENT, _l("(none: a top-level category)"))] + [
            (c.id, "— " * depth + c.display_name(locale))
            for c, depth in tree if c.id not in excluded]


# --- the search page's query string -----------------------------------------------------

@dataclass
class SearchArguments:
    """What the search page was asked for: the raw values to show again, the parsed
    query, and a notice for each value that was not understood (and so ignored)."""
    values: dict
    query: CatalogueQuery
    notices: list = field(default_factory=list)
    invalid: set = field(default_factory=set)


FILTER_NAMES = ("q", "category", "district", "agency_type", "location", "price_min",
                "price_max", "voucher", "min_rating", "sort")


def _price(text):
    fen = yuan_to_fen(text)
    if fen < 0:
        raise MoneyError("negative")
    if fen > MAX_AMOUNT_FEN:    # no price is higher; past a bigint the query would fail
        raise MoneyError("too large")
    return fen


def parse_search_arguments(args, category_codes, district_codes):
    """Read the search page's filters from ``args``; bad values are dropped with a notice,
    never an error."""
    values = {name: (args.get(name) or "").strip() for name in FILTER_NAMES}
    values["q"] = values["q"][:MAX_QUERY_LENGTH]
    parsed, notices, invalid = {}, [], set()

    def reject(name, message):
        invalid.add(name)
        notices.append(message)

    if values["category"]:
        if values["category"] in category_codes:
            parsed["category"] = values["category"]
        else:
            reject("category", _l("The chosen category is unknown; showing every "
                                  "category."))
    if values["district"]:
        if values["district"] in district_codes:
            parsed["district"] = values["district"]
        else:
            reject("district", _l("The chosen district is unknown; showing every "
                                  "district."))
    if values["agency_type"]:
        if values["agency_type"] in {t.value for t in AgencyType}:
            parsed["agency_type"] = values["agency_type"]
        else:
            reject("agency_type", _l("The chosen agency type is unknown; showing every "
                                     "type."))
    if values["location"]:
        if values["location"] in ("in_city", "out_of_town"):
            parsed["location"] = values["location"]
        else:
            reject("location", _l("The chosen location is unknown; showing agencies "
                                  "from everywhere."))
    for name in ("price_min", "price_max"):
        if values[name]:
            try:
                parsed[name + "_fen"] = _price(values[name])
            except MoneyError:
                reject(name, _l("“%(value)s” is not an amount in yuan; that price limit "
                                "is ignored.", value=values[name]))
    low, high = parsed.get("price_min_fen"), parsed.get("price_max_fen")
    if low is not None and high is not None and low > high:
        parsed.pop("price_min_fen"), parsed.pop("price_max_fen")
        reject("price_min", _l("The lowest price is above the highest; the price range "
                               "is ignored."))
        invalid.add("price_max")
    if values["voucher"]:
        if values["voucher"] in ("1", "y", "yes", "true", "on"):
            parsed["voucher"] = True
        else:
            reject("voucher", _l("The voucher filter is not understood and is ignored."))
    if values["min_rating"]:
        if values["min_rating"] in ("1", "2", "3", "4", "5"):
            parsed["min_rating"] = int(values["min_rating"])
        else:
            reject("min_rating", _l("The minimum rating must be 1 to 5 stars; it is "
                                    "ignored."))
    if values["sort"] and values["sort"] not in SORTS:
        reject("sort", _l("The chosen sort order is unknown; the default is used."))
    elif values["sort"]:
        parsed["sort"] = values["sort"]
    query = CatalogueQuery(q=values["q"], **parsed)
    if values["q"] and not query.terms:
        # punctuation alone ("&|!", "。。。"): said, rather than a list of everything
        # that looks like its result
        notices.append(_l("“%(value)s” has no letters, digits or Chinese characters to "
                          "search for; showing every offering.", value=values["q"]))
    return SearchArguments(values=values, query=query, notices=notices, invalid=invalid)
