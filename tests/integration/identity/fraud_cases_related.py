"""The related-party cases of the fraud fixture (fraud_cases.py has the others).

A fixture of fraud cases and clean look-alikes with known right answers, for the
integrity checks' quality test: each case is (pattern, "fraud" or "clean", name, build),
``build(world)`` making the parties and contracts through the services and returning the
claims to check (or the step that refused the fraud on the way).

The frauds are written as a fraudster would disguise them (a phone with +86, spaces or
full-width digits, an address with its province and city in front, an invoice number with
a prefix, a person in another role, a link made after signing, sister agencies); the
clean cases are what an honest market looks like next to them (the same surname, the same
street with another number, a phone one digit off, a namesake with another identity
number, a listing lifted or expired)."""
from tests.integration.identity.fraud_cases import case, pair as _pair
from tests.integration.identity.fraud_world import Outcome, fifteen, full_width
from tests.support.identity import person, resident_id


# --- related party: the same person, holding, address, phone or bank account ----------

def _shared_representative(number_of_agency):
    def build(w):
        firm, agency = _pair(w)
        number = w.representative_number(firm)
        w.facts(agency, people=[person("legal_representative", "张 伟" if "space" in
                                       number_of_agency.__name__ else "张伟",
                                       id_number=number_of_agency(number))])
        return Outcome([w.deal(firm, agency)])
    return build


for _name, _spell in (("as_written", lambda n: n), ("with_spaces", lambda n: f"{n[:6]} {n[6:14]} {n[14:]}"),
                      ("full_width", full_width), ("fifteen_digits", fifteen),
                      ("lower_case_x", lambda n: n.lower())):
    _spell.__name__ = _name
    case("related_party", "fraud", f"legal representative shared, number {_name}")(
        _shared_representative(_spell))


def _person_in_roles(firm_role, agency_role, firm_title=None, agency_title=None):
    def build(w):
        firm, agency = _pair(w)
        number = resident_id(w.serial())
        w.with_person(firm, firm_role, "钱明", number, title=firm_title,
                      share_bp=3000 if firm_role == "shareholder" else None)
        w.with_person(agency, agency_role, "钱 明", number, title=agency_title,
                      share_bp=5100 if agency_role == "shareholder" else None)
        return Outcome([w.deal(firm, agency)])
    return build


for _roles in (("officer", "officer", "director", "director"),
               ("officer", "officer", "supervisor", "manager"),
               ("shareholder", "shareholder", None, None),
               ("officer", "shareholder", "manager", None),
               ("shareholder", "officer", None, "director")):
    case("related_party", "fraud", "{} ({}) of the firm is {} ({}) of the agency".format(
        _roles[0], _roles[2] or "-", _roles[1], _roles[3] or "-"))(_person_in_roles(*_roles))


@case("related_party", "fraud", "the agency's legal representative is an officer of the firm")
def _(w):
    firm, agency = _pair(w)
    w.with_person(firm, "officer", "agency rep", w.representative_number(agency),
                  title="director")
    return Outcome([w.deal(firm, agency)])


@case("related_party", "fraud", "the agency holds shares in the firm")
def _(w):
    firm, agency = _pair(w)
    firm_people = w.people(firm) + [dict(person("shareholder", agency.organisation.name,
                                                share_bp=4000),
                                         **_uscc_holder(agency.organisation.uscc))]
    w.facts(firm, people=firm_people)
    return Outcome([w.deal(firm, agency)])


def _uscc_holder(code):
    from marketplace.accounts import identity_numbers
    return {"id_kind": "uscc", "id_number_hash": identity_numbers.number_hash(code),
            "id_number_masked": identity_numbers.masked(code)}


@case("related_party", "fraud", "shared representative removed by the agency after delivery")
def _(w):
    firm, agency = _pair(w)
    w.facts(agency, people=[person("legal_representative", "张伟",
                                   id_number=w.representative_number(firm))])
    claim = w.deal(firm, agency)
    w.facts(agency, people=[person("legal_representative", "新法人", w.serial())])
    return Outcome([claim])


@case("related_party", "fraud", "the firm takes the agency's representative on after signing")
def _(w):
    firm, agency = _pair(w)
    claim = w.deal(firm, agency)
    w.with_person(firm, "officer", "agency rep", w.representative_number(agency),
                  title="manager")
    return Outcome([claim])


def _shared_fact(field, firm_value, agency_value, after_signing=False):
    def build(w):
        firm, agency = _pair(w)
        s = w.serial()
        w.facts(firm, **{field: firm_value(s)})
        if after_signing:
            claim = w.deal(firm, agency)
            w.facts(agency, **{field: agency_value(s)})
            return Outcome([claim])
        w.facts(agency, **{field: agency_value(s)})
        return Outcome([w.deal(firm, agency)])
    return build


PHONE_DISGUISES = (
    ("+86", lambda s: f"0791-8{s:07d}", lambda s: f"+86 791 8{s:07d}"),
    ("spaces", lambda s: f"0791-8{s:07d}", lambda s: f"0791 8{str(s).zfill(7)[:3]} {str(s).zfill(7)[3:]}"),
    ("dashes regrouped", lambda s: f"0791-8{s:07d}",
     lambda s: f"0-791-{f'8{s:07d}'[:4]}-{f'8{s:07d}'[4:]}"),
    ("full-width digits", lambda s: f"0791-8{s:07d}", lambda s: full_width(f"0791-8{s:07d}")),
    ("without the area code", lambda s: f"0791-8{s:07d}", lambda s: f"8{s:07d}"),
    ("0086 and brackets", lambda s: f"0791-8{s:07d}", lambda s: f"0086 (791) 8{s:07d}"),
    ("mobile with +86", lambda s: f"139{s:08d}",
     lambda s: f"+86 139 {f'{s:08d}'[:4]} {f'{s:08d}'[4:]}"),
)
for _name, _firm, _agency in PHONE_DISGUISES:
    case("related_party", "fraud", f"shared phone, {_name}")(
        _shared_fact("contact_phone", _firm, _agency))

ADDRESS_DISGUISES = (
    ("province and city in front", lambda s: f"东湖区八一大道{s}号",
     lambda s: f"江西省南昌市东湖区八一大道{s}号"),
    ("full-width digits", lambda s: f"南昌市东湖区八一大道{s}号", lambda s: f"东湖区八一大道{full_width(str(s))}号"),
    ("spaces, no 号", lambda s: f"南昌市青山湖区北京东路{s}号", lambda s: f"北京东路 {s}"),
    ("zone written short", lambda s: f"南昌高新技术产业开发区艾溪湖北路{s}号",
     lambda s: f"江西省南昌市高新区艾溪湖北路{s}号"),
)
for _name, _firm, _agency in ADDRESS_DISGUISES:
    case("related_party", "fraud", f"shared address, {_name}")(
        _shared_fact("registered_address", _firm, _agency))
case("related_party", "fraud", "shared address, moved in after signing")(
    _shared_fact("registered_address", lambda s: f"西湖区孺子路{s}号",
                 lambda s: f"南昌市西湖区孺子路{s}号", after_signing=True))


def _bank(firm_account, agency_account):
    def build(w):
        firm, agency = _pair(w)
        s = w.serial()
        w.facts(firm, bank_name="中国银行南昌分行", bank_cnaps_code="104421000016",
                bank_account=firm_account(s))
        w.facts(agency, bank_name="中国银行南昌分行", bank_cnaps_code="104421000016",
                bank_account=agency_account(s))
        return Outcome([w.deal(firm, agency)])
    return build


for _name, _agency in (("with spaces", lambda s: f"6216 6100 0{s:06d} 001"),
                       ("with dashes", lambda s: f"6216-6100-0{s:06d}-001"),
                       ("full-width digits", lambda s: full_width(f"62166100 0{s:06d}001"))):
    case("related_party", "fraud", f"shared bank account, {_name}")(
        _bank(lambda s: f"621661000{s:06d}001", _agency))


# related party, clean look-alikes

def _namesakes(firm_name, agency_name, role="legal_representative", title=None):
    def build(w):
        firm, agency = _pair(w)
        share = 2000 if role == "shareholder" else None
        if role == "legal_representative":
            w.facts(firm, people=[person(role, firm_name, w.serial())])
            w.facts(agency, people=[person(role, agency_name, w.serial())])
        else:
            w.with_person(firm, role, firm_name, resident_id(w.serial()), title=title,
                          share_bp=share)
            w.with_person(agency, role, agency_name, resident_id(w.serial()), title=title,
                          share_bp=share)
        return Outcome([w.deal(firm, agency)])
    return build


for _firm_name, _agency_name, _role, _title in (
        ("张伟", "张玮", "legal_representative", None), ("王伟", "王伟", "legal_representative", None),
        ("李娜", "李娜", "officer", "director"), ("刘洋", "刘阳", "officer", "manager"),
        ("陈静", "陈静", "shareholder", None), ("阿依古丽·买买提", "阿依古丽买买提",
                                              "legal_representative", None),
        ("Li Na", "LI NA", "officer", "supervisor"), ("赵强", "赵刚", "shareholder", None)):
    case("related_party", "clean", f"{_role} {_firm_name} / {_agency_name}, other numbers")(
        _namesakes(_firm_name, _agency_name, _role, _title))

for _name, _firm, _agency in (
        ("same street, another number", lambda s: f"东湖区八一大道{s}号",
         lambda s: f"江西省南昌市东湖区八一大道{s + 2}号"),
        ("same street and number in another city", lambda s: f"江西省赣州市章贡区红旗大道{s}号",
         lambda s: f"南昌市东湖区红旗大道{s}号"),
        ("north and south of one road", lambda s: f"东湖区象山北路{s}号",
         lambda s: f"东湖区象山南路{s}号"),
        ("a road and a boulevard", lambda s: f"西湖区八一路{s}号", lambda s: f"西湖区八一大道{s}号"),
        ("two industrial parks", lambda s: f"小蓝工业园区富山大道{s}号",
         lambda s: f"昌东工业园区富山大道{s}号")):
    case("related_party", "clean", f"address look-alike: {_name}")(
        _shared_fact("registered_address", _firm, _agency))

for _name, _firm, _agency in (
        ("one digit off", lambda s: f"0791-8{s:07d}", lambda s: f"+86 791 8{s + 1:07d}"),
        ("another area code", lambda s: f"0791-8{s:07d}", lambda s: f"0797-8{s:07d}"),
        ("mobile one digit off", lambda s: f"139{s:08d}", lambda s: f"+86 139{s + 3:08d}"),
        ("landline digits inside a mobile", lambda s: f"0791-8{s:07d}", lambda s: f"1388{s:07d}"),
        ("same switchboard, other extension", lambda s: f"0791-8{s:07d}转801",
         lambda s: f"0791-8{s + 5:07d}转801")):
    case("related_party", "clean", f"phone look-alike: {_name}")(
        _shared_fact("contact_phone", _firm, _agency))

for _name, _agency in (("last digit off", lambda s: f"621661000{s:06d}002"),
                       ("two digits swapped", lambda s: f"621661000{s:06d}010"),
                       ("one digit more", lambda s: f"621661000{s:06d}0010")):
    case("related_party", "clean", f"bank look-alike: {_name}")(
        _bank(lambda s: f"621661000{s:06d}001", _agency))


@case("related_party", "clean", "look-alike names of the organisations, nothing shared")
def _(w):
    firm, agency = _pair(w)
    w.facts(firm, name="南昌赣新材料科技有限公司")
    w.facts(agency, name="南昌赣新材料技术转移中心")
    return Outcome([w.deal(firm, agency)])


@case("related_party", "clean", "an honest pair")
def _(w):
    return Outcome([w.deal()])


@case("related_party", "clean", "one bank branch, two accounts")
def _(w):
    return _bank(lambda s: f"621661000{s:06d}001", lambda s: f"621661000{s + 7:06d}001")(w)


@case("related_party", "clean", "one industrial park, two plots")
def _(w):
    return _shared_fact("registered_address", lambda s: f"南昌县小蓝工业园富山大道{s}号",
                        lambda s: f"江西省南昌市南昌县小蓝工业园富山大道{s + 10}号")(w)


@case("related_party", "clean", "an old 15-digit number of another person")
def _(w):
    firm, agency = _pair(w)
    w.with_person(firm, "officer", "孙明", resident_id(w.serial()), title="director")
    w.with_person(agency, "officer", "孙明", fifteen(resident_id(w.serial())),
                  title="director")
    return Outcome([w.deal(firm, agency)])


@case("related_party", "clean", "twins: one birthday, two numbers")
def _(w):
    firm, agency = _pair(w)
    first = resident_id(w.serial())
    second = first[:14] + "9" + first[15:17]
    second += __import__("marketplace.core.normalise", fromlist=["x"]) \
        .resident_id_check(second)
    w.with_person(firm, "shareholder", "周一", first, share_bp=1000)
    w.with_person(agency, "shareholder", "周二", second, share_bp=1000)
    return Outcome([w.deal(firm, agency)])
