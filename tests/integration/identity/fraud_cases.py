"""The fraud fixture's registry of cases, and the cases of the split-order, duplicate-
invoice, price and integrity-list patterns (fraud_cases_related.py has the related
parties). ``all_cases()`` is the whole fixture: (pattern, "fraud" or "clean", name,
build), ``build(world)`` returning the claims to check or the step that refused."""
from datetime import date, timedelta

from marketplace.orders import fulfilment
from tests.integration.identity.fraud_world import AMOUNT, Outcome, fifteen, full_width
from tests.support.identity import person, resident_id

CASES = []


def case(pattern, kind, name):
    def register(build):
        CASES.append((pattern, kind, name, build))
        return build
    return register


def pair(w):
    return w.firm(), w.agency()


def all_cases():
    from tests.integration.identity import fraud_cases_related  # noqa: F401  (registers)
    return list(CASES)


# --- split orders: one firm, one seller (sister agencies count as one), one window -----

def _split(contracts, sisters=None, link_after=False, days=(0, 0, 0)):
    """``contracts`` contracts of one firm within the window, with one agency, or with
    agencies sharing a person (``sisters``: how the shared person appears in each)."""
    def build(w):
        firm = w.firm(backdated_days=max(days) + 10)
        agencies = [w.agency() for _ in range(contracts)] if sisters else [w.agency()]
        number = resident_id(w.serial())
        if sisters and not link_after:
            _link(w, agencies, sisters, number)
        claims = [w.claim(w.contract(firm, agencies[i % len(agencies)],
                                     signed_days_ago=days[i]))
                  for i in range(contracts)]
        if sisters and link_after:
            _link(w, agencies, sisters, number)
        return Outcome(claims)
    return build


def _link(w, agencies, sisters, number):
    for agency, (role, written) in zip(agencies, sisters):
        w.with_person(agency, role, "赵 总" if "space" in written else "赵总",
                      {"as_written": number, "fifteen": fifteen(number),
                       "full_width": full_width(number), "space": number}[written],
                      title="director" if role == "officer" else None,
                      share_bp=6000 if role == "shareholder" else None)


for _name, _build in (
        ("one agency, two contracts in a week", _split(2, days=(7, 0))),
        ("one agency, three small contracts", _split(3, days=(20, 10, 0))),
        ("one agency, 80 days apart", _split(2, days=(80, 0))),
        ("sister agencies sharing a legal representative's director",
         _split(2, sisters=[("officer", "as_written"), ("officer", "as_written")])),
        ("sister agencies: one's director is the other's shareholder",
         _split(2, sisters=[("officer", "as_written"), ("shareholder", "as_written")])),
        ("sister agencies, the shared person with a 15-digit number",
         _split(2, sisters=[("shareholder", "as_written"), ("shareholder", "fifteen")])),
        ("sister agencies, the number in full-width digits",
         _split(2, sisters=[("officer", "as_written"), ("officer", "full_width")])),
        ("sister agencies, the name with a space",
         _split(2, sisters=[("officer", "as_written"), ("officer", "space")])),
        ("sister agencies linked after signing",
         _split(2, sisters=[("officer", "as_written"), ("shareholder", "as_written")],
                link_after=True)),
        ("three sister agencies", _split(3, sisters=[("officer", "as_written")] * 3,
                                         days=(30, 15, 0)))):
    case("split_order", "fraud", _name)(_build)


@case("split_order", "fraud", "a chain of sister agencies (A-B share one, B-C another)")
def _(w):
    firm = w.firm()
    a, b, c = w.agency(), w.agency(), w.agency()
    first, second = resident_id(w.serial()), resident_id(w.serial())
    w.with_person(a, "officer", "甲", first, title="director")
    w.with_person(b, "shareholder", "甲", first, share_bp=5000)
    w.with_person(b, "officer", "乙", second, title="manager")
    w.with_person(c, "shareholder", "乙", second, share_bp=5000)
    return Outcome([w.claim(w.contract(firm, a, amount=50_000_00)),
                    w.claim(w.contract(firm, c, amount=50_000_00)),
                    w.claim(w.contract(firm, b, amount=50_000_00))])


for _name, _build in (
        ("one agency, 100 days apart", _split(2, days=(100, 0))),
        ("one contract alone", _split(1))):
    case("split_order", "clean", _name)(_build)


@case("split_order", "clean", "one agency, two contracts under the maximum together")
def _(w):
    firm, agency = pair(w)
    return Outcome([w.claim(w.contract(firm, agency, amount=50_000_00)),
                    w.claim(w.contract(firm, agency, amount=60_000_00))])


def _unrelated_agencies(first_name, second_name, same_number=False):
    def build(w):
        firm = w.firm()
        agencies = [w.agency(), w.agency()]
        for agency, name in zip(agencies, (first_name, second_name)):
            w.with_person(agency, "officer", name, resident_id(w.serial()), title="director")
        return Outcome([w.claim(w.contract(firm, agency)) for agency in agencies])
    return build


for _first, _second in (("赵总", "赵总"), ("赵总", "赵聪"), ("王伟", "王 伟"), ("Li Na", "li na")):
    case("split_order", "clean", f"two agencies whose directors {_first} / {_second} are "
                                 "two people")(_unrelated_agencies(_first, _second))


@case("split_order", "clean", "two firms buying from one agency")
def _(w):
    agency = w.agency()
    return Outcome([w.claim(w.contract(w.firm(), agency)),
                    w.claim(w.contract(w.firm(), agency))])


@case("split_order", "clean", "sister agencies, together under the maximum")
def _(w):
    firm = w.firm()
    agencies = [w.agency(), w.agency()]
    _link(w, agencies, [("officer", "as_written")] * 2, resident_id(w.serial()))
    return Outcome([w.claim(w.contract(firm, agencies[0], amount=50_000_00)),
                    w.claim(w.contract(firm, agencies[1], amount=60_000_00))])


# --- duplicate invoices ----------------------------------------------------------------

def _registered_later(spelling):
    def build(w):
        number = f"3611{w.serial():04d}"
        claim = w.deal(invoice=number)
        w.register_invoice(spelling(number))
        return Outcome([claim])
    return build


for _name, _spelling in (("as written", lambda n: n), ("No. in front", lambda n: f"No.{n}"),
                         ("full-width digits", full_width),
                         ("发票号码 in front", lambda n: f"发票号码：{n}"),
                         ("spaces", lambda n: f"{n[:4]} {n[4:]}"),
                         ("dashes", lambda n: f"{n[:2]}-{n[2:5]}-{n[5:]}"),
                         ("FP- in front", lambda n: f"FP-{n}"),
                         ("lower-case no.", lambda n: f"no. {n}")):
    case("duplicate_invoice", "fraud", f"registered elsewhere, {_name}")(
        _registered_later(_spelling))


def _delivered_twice(spelling):
    def build(w):
        number = f"3622{w.serial():04d}"
        w.deal(invoice=number)
        contract = w.contract(w.firm(), w.agency())
        try:
            w.deliver(contract, spelling(number))
        except fulfilment.DuplicateInvoice:
            return Outcome([], refused="delivery")
        return Outcome([fulfilment.accept(contract.order, contract.order.firm.members[0])])
    return build


for _name, _spelling in (("No. in front", lambda n: f"No. {n}"),
                         ("full-width digits", full_width),
                         ("INV- and spaces", lambda n: f"INV-{n[:4]} {n[4:]}"),
                         ("发票号 in front", lambda n: f"发票号{n}")):
    case("duplicate_invoice", "fraud", f"delivered again, {_name}")(_delivered_twice(_spelling))

for _name, _spelling in (("one digit off", lambda n: n[:-1] + str((int(n[-1]) + 1) % 10)),
                         ("two digits swapped", lambda n: n[:-2] + n[-1] + n[-2]
                          if n[-1] != n[-2] else n[:-2] + "19"),
                         ("one digit more", lambda n: n + "0"),
                         ("a letter that is part of the number", lambda n: f"A{n}")):
    case("duplicate_invoice", "clean", f"registered elsewhere, {_name}")(
        _registered_later(_spelling))
    case("duplicate_invoice", "clean", f"delivered again, {_name}")(
        _delivered_twice(_spelling))


@case("duplicate_invoice", "clean", "two invoices of one agency in sequence")
def _(w):
    agency = w.agency()
    number = int(f"3633{w.serial():04d}")
    return Outcome([w.deal(agency=agency, invoice=str(number)),
                    w.deal(agency=agency, invoice=str(number + 1))])


# --- prices -------------------------------------------------------------------------------

def _priced(amount, price_fen=AMOUNT, **offering):
    def build(w):
        return Outcome([w.deal(agency=w.agency(price_fen=price_fen, **offering),
                               amount=amount)])
    return build


for _name, _build in (("three times the listed price", _priced(300_000_00)),
                      ("1.6 times the listed price", _priced(160_000_00)),
                      ("just above 1.5 times the listed price", _priced(150_000_01)),
                      ("twice the top of the guide band",
                       _priced(200_000_00, None, guide_min_fen=60_000_00,
                               guide_max_fen=100_000_00)),
                      ("on quotation, 2.5 times the category's usual top",
                       _priced(250_000_00, None)),
                      ("four times the listed price", _priced(400_000_00))):
    case("price", "fraud", _name)(_build)

for _name, _build in (("at the listed price", _priced(AMOUNT)),
                      ("1.4 times the listed price", _priced(140_000_00)),
                      ("exactly 1.5 times the listed price", _priced(150_000_00)),
                      ("inside the guide band", _priced(90_000_00, None, guide_min_fen=60_000_00,
                                                       guide_max_fen=100_000_00)),
                      ("on quotation, within the category's usual range", _priced(120_000_00,
                                                                                  None)),
                      ("below the listed price", _priced(60_000_00))):
    case("price", "clean", _name)(_build)


# --- the integrity list ------------------------------------------------------------------

def _listed(who, when="after", spelling=lambda n: n):
    def build(w):
        firm, agency = pair(w)
        if who == "firm_shareholder":
            w.with_person(firm, "shareholder", "孙股东", resident_id(w.serial()), share_bp=3000)
        if who == "agency_officer":
            w.with_person(agency, "officer", "周董事", resident_id(w.serial()), title="director")

        def bar():
            if who in ("agency", "firm"):
                return w.bar_organisation((agency if who == "agency" else firm).organisation)
            holder = {"firm_shareholder": firm, "agency_officer": agency,
                      "agency_representative": agency}[who]
            listed = holder.organisation.current_version.people[-1]
            number = resident_id(holder.organisation.id) if who == "agency_representative" \
                else _number_of(w, listed)
            return w.bar_person(listed.name, spelling(number))
        if when == "before":
            bar()
            try:
                w.contract(firm, agency)
            except Exception as refused:           # IntegrityListHit
                assert getattr(refused, "code", "") == "integrity_list_hit"
                return Outcome([], refused="signing")
            raise AssertionError("signing was not refused")
        claim = w.deal(firm, agency)
        bar()
        return Outcome([claim])
    return build


def _number_of(w, listed_person):
    """The identity number a case gave a person (the fixture keeps what it typed)."""
    return w.numbers[listed_person.id_number_hash]


for _name, _build in (("the agency, listed after signing", _listed("agency")),
                      ("the firm, listed after signing", _listed("firm")),
                      ("the agency's legal representative", _listed("agency_representative")),
                      ("the firm's shareholder", _listed("firm_shareholder")),
                      ("the agency's director", _listed("agency_officer")),
                      ("a person listed by the 15-digit number", _listed(
                          "agency_representative", spelling=fifteen)),
                      ("a person listed with full-width digits", _listed(
                          "agency_officer", spelling=full_width)),
                      ("the agency, listed before signing", _listed("agency", "before")),
                      ("the firm's shareholder, listed before signing",
                       _listed("firm_shareholder", "before"))):
    case("integrity_list", "fraud", _name)(_build)


def _not_listed(kind):
    def build(w):
        firm, agency = pair(w)
        organisation = agency.organisation
        if kind == "namesake":
            w.bar_person(organisation.legal_representative, resident_id(w.serial()))
        elif kind == "similar_name":
            from marketplace.accounts import uscc
            from marketplace.integrity import barred
            barred.add_entry(w.auditor, subject="organisation", name=organisation.name,
                             uscc=uscc.make(f"9136019{w.serial():010d}"), reason="虚报",
                             source="信用中国（江西）", listed_from=date(2025, 1, 1))
        elif kind == "lifted":
            from marketplace.integrity import barred
            barred.lift_entry(w.bar_organisation(organisation), w.auditor, "法院撤销")
        elif kind == "expired":
            w.bar_organisation(organisation, listed_from=date(2023, 1, 1),
                               listed_to=date.today() - timedelta(days=1))
        elif kind == "future":
            w.bar_organisation(organisation, listed_from=date.today() + timedelta(days=30))
        elif kind == "unrelated_person":
            w.bar_person("无关人员", resident_id(w.serial()))
        return Outcome([w.deal(firm, agency)])
    return build


for _name, _kind in (("a namesake of the representative with another number", "namesake"),
                     ("an organisation of the same name, another credit code", "similar_name"),
                     ("a listing lifted", "lifted"), ("a listing expired", "expired"),
                     ("a listing not yet in force", "future"),
                     ("someone else listed", "unrelated_person")):
    case("integrity_list", "clean", _name)(_not_listed(_kind))


@case("split_order", "clean", "one agency, 95 days apart")
def _(w):
    return _split(2, days=(95, 0))(w)


@case("split_order", "clean", "two agencies at one address share no person")
def _(w):
    firm = w.firm()
    agencies = [w.agency(), w.agency()]
    address = f"青山湖区北京东路{w.serial()}号"
    for agency in agencies:
        w.facts(agency, registered_address=address)
    return Outcome([w.claim(w.contract(firm, agency)) for agency in agencies])


@case("duplicate_invoice", "clean", "registered elsewhere, a zero in front (another number)")
def _(w):
    return _registered_later(lambda n: f"0{n}")(w)


@case("price", "clean", "on quotation, at the top of the guide band")
def _(w):
    return _priced(100_000_00, None, guide_min_fen=60_000_00, guide_max_fen=100_000_00)(w)


@case("integrity_list", "clean", "the agency's former representative, gone before signing")
def _(w):
    firm, agency = pair(w)
    former = agency.organisation.current_version.people[0]
    w.facts(agency, people=[person("legal_representative", "新法人", w.serial())])
    w.bar_person(former.name, resident_id(agency.organisation.id))
    return Outcome([w.deal(firm, agency)])


@case("integrity_list", "clean", "a listed namesake of the firm's shareholder")
def _(w):
    firm, agency = pair(w)
    w.with_person(firm, "shareholder", "吴股东", resident_id(w.serial()), share_bp=2000)
    w.bar_person("吴股东", resident_id(w.serial()))
    return Outcome([w.deal(firm, agency)])
