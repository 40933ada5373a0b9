"""Related parties as an investigator finds them: the same person by identity number, a
holding, a shared address, phone or bank account by their normalised keys; and the clean
look-alikes kept apart."""
from marketplace.core import normalise
from marketplace.integrity.related import (NAME_ONLY, STRONG, PartyFacts, PersonFact,
                                           compare, compare_versions)


def full_width(text):
    return "".join(chr(ord(c) + 0xFEE0) for c in text)


def person(name, number_hash=None, role="legal_representative", title=None, share_bp=None):
    return PersonFact(role=role, title=title, name=name, name_key=normalise.name_key(name),
                      id_hash=number_hash, masked="3601**********1234" if number_hash else None,
                      share_bp=share_bp)


def party(organisation_id, *people, address="八一大道1号", phone="0791-88880001",
          bank="6222 0000 0000 0001", uscc_hash=None):
    return PartyFacts(organisation_id=organisation_id, version_id=organisation_id,
                      version_number=1, name=f"组织{organisation_id}", uscc="X" * 18,
                      uscc_hash=uscc_hash, address=address,
                      address_key=normalise.address_key(address), phone=phone,
                      phone_key=normalise.phone_key(phone), bank_account=bank,
                      bank_key=normalise.digits_key(bank), people=tuple(people))


def firm(*people, **facts):
    return party(1, *people, **{"address": "东湖区八一大道1号", "phone": "0791-88880001",
                                "bank": "6222000000000001", **facts})


def agency(*people, **facts):
    return party(2, *people, **{"address": "青山湖区北京东路2号", "phone": "0791-88880002",
                                "bank": "6222000000000002", **facts})


def test_one_person_in_both_by_identity_number_whatever_the_roles_and_spelling():
    [match] = compare(firm(person("张伟", "h1")),
                      agency(person("张 伟", "h1", role="officer", title="director")))
    assert (match["kind"], match["strength"]) == ("person", STRONG)
    assert match["agency"]["title"] == "director"


def test_two_people_of_one_name_with_different_numbers_are_two_people():
    assert compare(firm(person("王伟", "h1")), agency(person("王伟", "h2"))) == []


def test_one_name_without_a_number_on_one_side_is_only_a_lead():
    [match] = compare(firm(person("王伟", "h1")), agency(person("王伟", None)))
    assert match["strength"] == NAME_ONLY


def test_a_shareholding_organisation_is_found_by_its_credit_code():
    holder = person("某某技术转移中心", "agency-uscc-hash", role="shareholder", share_bp=3000)
    [match] = compare(firm(person("张伟", "h1"), holder),
                      agency(person("李娜", "h2"), uscc_hash="agency-uscc-hash"))
    assert (match["kind"], match["holder"]) == ("holding", "firm")


def test_addresses_phones_and_accounts_compare_by_their_keys():
    found = compare(firm(person("甲", "a"), address="江西省南昌市东湖区八一大道333号",
                         phone="+86 791 8888 0003", bank="6222-0000-0000-0003"),
                    agency(person("乙", "b"), address="八一大道 333 号",
                           phone="0791-88880003", bank=full_width("6222000000000003")))
    assert [m["kind"] for m in found] == ["registered_address", "contact_phone",
                                          "bank_account"]


def test_look_alike_facts_stay_apart():
    assert compare(firm(person("甲", "a"), address="东湖区八一大道333号", phone="0791-88880003",
                        bank="6222000000000003"),
                   agency(person("乙", "b"), address="东湖区八一大道335号",
                          phone="0791-88880030", bank="6222000000000030")) == []
    assert compare(firm(person("甲", "a"), address="江西省赣州市章贡区红旗大道1号"),
                   agency(person("乙", "b"), address="南昌市东湖区红旗大道1号")) == []


def test_a_finding_on_several_pairs_of_versions_is_reported_once_with_each():
    signed_firm, signed_agency = firm(person("张伟", "h1")), agency(person("张伟", "h1"))
    now_agency = agency(person("李娜", "h2"))      # the agency changed after signing
    [match] = compare_versions([("pinned", signed_firm, signed_agency),
                                ("current", signed_firm, now_agency),
                                ("current_firm_pinned_agency", signed_firm, signed_agency)])
    assert match["found_on"] == ["pinned", "current_firm_pinned_agency"]
