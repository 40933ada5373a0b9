"""The comparison keys compare what an investigator would call the same, and keep apart
what only looks alike."""
import pytest

from marketplace.core import normalise


@pytest.mark.parametrize("written", [
    "0791-88880001", "(0791) 8888 0001", "+86 791 8888 0001", "0086-791-88880001",
    "88880001", "８６－７９１－８８８８０００１", "+86-0791-88880001", "0791 88880001 转 8001",
    "8679188880001", "86-0791-88880001", "86 (0791) 8888 0001",
])
def test_one_landline_in_every_spelling_has_one_key(written):
    assert normalise.phone_key(written) == "+8679188880001"


@pytest.mark.parametrize("written", ["13800138000", "+86 138 0013 8000", "138-0013-8000",
                                     "0086 13800138000", "８６１３８００１３８０００",
                                     "86 138 0013 8000"])
def test_one_mobile_in_every_spelling_has_one_key(written):
    assert normalise.phone_key(written) == "+8613800138000"


def test_different_numbers_keep_different_keys():
    assert normalise.phone_key("0791-88880001") != normalise.phone_key("0791-88880010")
    assert normalise.phone_key("0791-88880001") != normalise.phone_key("0798-88880001")
    assert normalise.phone_key("13800138000") != normalise.phone_key("13800138001")
    assert normalise.phone_key("12") is None
    assert normalise.phone_key("+1 415 555 0100") == "+14155550100"


@pytest.mark.parametrize("written", [
    "南昌市东湖区八一大道333号", "江西省南昌市东湖区八一大道333号", "东湖区八一大道333号",
    "八一大道 333 号", "江西省 南昌市 东湖区 八一大道３３３号", "八一大道333", "八一大道333號",
])
def test_one_address_without_its_administrative_prefixes(written):
    assert normalise.address_key(written) == "八一大道333"


@pytest.mark.parametrize("first, second", [
    ("南昌高新区艾溪湖北路88号", "江西省南昌市高新技术产业开发区艾溪湖北路88号"),
    ("南昌县小蓝工业园富山大道9号", "江西省南昌市南昌县小蓝工业园富山大道9号"),
    ("红谷滩新区赣江中大道1号", "南昌市红谷滩区赣江中大道1号"),
    ("江西省赣州市章贡区红旗大道1号", "章贡区红旗大道1号"),
])
def test_zones_and_districts_are_prefixes_too(first, second):
    assert normalise.address_key(first) == normalise.address_key(second)


@pytest.mark.parametrize("first, second", [
    ("南昌市东湖区八一大道333号", "南昌市东湖区八一大道335号"),       # same street
    ("南昌市东湖区八一大道333号", "南昌市东湖区八一大道333号2栋"),
    ("东湖区象山北路1号", "东湖区象山南路1号"),
    ("小蓝工业园区富山大道9号", "昌东工业园区富山大道9号"),            # parks are kept
])
def test_look_alike_addresses_keep_apart(first, second):
    assert normalise.address_key(first) != normalise.address_key(second)


def test_names_lose_spacing_and_middle_dots_only():
    assert normalise.name_key("张 伟") == normalise.name_key("张伟") == "张伟"
    assert normalise.name_key("阿依古丽·买买提") == normalise.name_key("阿依古丽•买买提")
    assert normalise.name_key("Li  Na") == normalise.name_key("li na")
    assert normalise.name_key("张伟") != normalise.name_key("张玮")


@pytest.mark.parametrize("written", ["36007788", "No. 3600 7788", "NO.36007788",
                                     "FP-36007788", "发票号码：３６００７７８８", "INV 3600-7788",
                                     "ｎｏ３６００７７８８", " 3600_7788 ", "Invoice No. 36007788",
                                     "invoice #3600 7788", "Fapiao No: 36007788",
                                     "Number 36007788", "Inv. Nbr. 36007788"])
def test_one_invoice_number_in_every_spelling(written):
    assert normalise.invoice_key(written) == "36007788"


def test_invoice_numbers_that_differ_stay_apart():
    assert normalise.invoice_key("36007788") != normalise.invoice_key("36007789")
    assert normalise.invoice_key("A36007788") != normalise.invoice_key("36007788")
    assert normalise.invoice_key("INVOICE A36007788") == "A36007788"


def test_a_fifteen_digit_identity_number_is_its_eighteen_digit_form():
    eighteen = "360102198001011234"
    first17 = eighteen[:17]
    eighteen = first17 + normalise.resident_id_check(first17)
    fifteen = eighteen[:6] + eighteen[8:17]
    assert normalise.identity_number_key(fifteen) == eighteen
    assert normalise.is_resident_id(eighteen)
    assert normalise.identity_number_key("３６０１ ０２１９ ８００１ ０１１２ " + eighteen[-2:]) \
        == eighteen


def test_digits_of_bank_accounts():
    assert normalise.digits_key("6222 0202 0000 0000 011") == "6222020200000000011"
    assert normalise.digits_key("６２２２-0202") == "62220202"


def test_one_street_and_number_in_two_cities_are_two_places():
    assert normalise.address_key("江西省赣州市章贡区红旗大道1号") == \
        normalise.address_key("南昌市东湖区红旗大道1号")
    assert not normalise.same_place("江西省赣州市章贡区红旗大道1号", "南昌市东湖区红旗大道1号")
    assert not normalise.same_place("赣州市红旗大道1号", "东湖区红旗大道1号")   # 东湖区 is 南昌's
    assert normalise.same_place("江西省南昌市东湖区八一大道333号", "八一大道 333 号")
    assert normalise.same_place("南昌县小蓝工业园富山大道9号", "江西省南昌市南昌县小蓝工业园富山大道9号")


@pytest.mark.parametrize("written", [
    "江西南昌市东湖区八一大道333号",            # the province without 省
    "江西南昌东湖区八一大道333号",
    "中国江西省南昌市东湖区八一大道333号",       # the country in front
    "中华人民共和国江西省南昌市东湖区八一大道333号",
    "中国·江西·南昌·东湖区八一大道333号",
    "江西省南昌市東湖區八一大道333號",          # traditional characters of 区 and 号
])
def test_the_province_and_country_written_as_people_do_are_prefixes_too(written):
    assert normalise.same_place(written, "南昌市东湖区八一大道333号")


@pytest.mark.parametrize("written, key", [
    ("上海市黄浦区江西中路333号", "江西中路333"),     # a street named after a province
    ("南昌市东湖区江西路1号", "江西路1"),
    ("江西路1号", "江西路1"),
    ("中国路1号", "中国路1"),
    ("南昌路100号", "南昌路100"),                     # ... or after the city
    ("江西大道某某小区1号", "江西大道某某小区1"),
])
def test_a_street_named_after_a_province_the_country_or_the_city_keeps_its_name(written, key):
    assert normalise.address_key(written) == key


@pytest.mark.parametrize("written", [
    "0791-88880001 13800138000", "0791 8888 0001 138 0013 8000", "13800138000 13900139000",
    "0791-88880001 0791-88880002",
])
def test_two_numbers_in_one_field_are_no_phone_number(written):
    """A field holding another number beside the firm's had a key of its own, so the
    shared number was never found: it is no phone number, and the forms refuse it."""
    assert normalise.phone_key(written) is None
