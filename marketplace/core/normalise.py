"""Comparison keys, written as an investigator would compare two records.

Pure functions, no database: each turns what a person typed into the one form two
spellings of the same thing share. Unicode NFKC first (full-width digits and letters,
ideographic spaces and compatibility forms become their plain forms), then the rules of
each kind of value:

- a phone number becomes one international form (+86 and the national number: the
  trunk 0 dropped, a local number given the city's area code, extensions dropped);
- an address loses its administrative prefixes (province, city, district, county,
  development zone), spacing and punctuation, and "号" after a number;
- a name loses spacing and middle dots, Latin letters case-folded;
- an invoice number keeps only its letters and digits, without the decorations in
  front of it (No., 发票号码, FP, INV);
- account and identity numbers keep their digits (and letters).
"""
import re
import unicodedata

DEFAULT_AREA_CODE = "791"          # Nanchang: a local number without area code is here

_SPACES_AND_PUNCTUATION = re.compile(r"[\s\W_]+", re.UNICODE)
_MIDDLE_DOTS = re.compile(r"[·•‧・∙⋅.\s]+")
_EXTENSION = re.compile(r"(转|分机|ext\.?|x|#).*$", re.IGNORECASE)

# administrative prefixes of an address, stripped from its start in this order
_PROVINCE = re.compile(r"^(?:[\u4e00-\u9fff]{2,3}省|[\u4e00-\u9fff]{2,8}自治区|"
                       r"(?:北京|上海|天津|重庆)市(?=[\u4e00-\u9fff]{2,4}区))")
_CITY = re.compile(r"^[\u4e00-\u9fff]{2,4}市")
# the development zones and districts of the default city as people shorten them, then
# any district or county name (2 to 4 characters before 区/县) unless the character
# before 区 makes it a place inside a district (工业园区, 校区, 社区, 小区, 景区, 厂区)
KNOWN_DISTRICTS = (
    "南昌高新技术产业开发区", "高新技术产业开发区", "南昌经济技术开发区", "经济技术开发区",
    "小蓝经济技术开发区", "小蓝经开区", "南昌高新区", "高新区", "南昌经开区", "经开区",
    "红谷滩新区", "赣江新区", "湾里管理局", "湾里区",
)
# the districts of the default city, which name it when an address leaves it out
DEFAULT_CITY = "南昌"
DEFAULT_CITY_DISTRICTS = ("东湖区", "西湖区", "青云谱区", "青山湖区", "新建区", "红谷滩区",
                          "南昌县", "安义县", "进贤县", "湾里区")
_ZONE = re.compile(r"^[\u4e00-\u9fff]{0,6}?(?:经济技术开发区|高新技术产业开发区|开发区|"
                   r"经开区|高新区|新区|管理局)")
_DISTRICT = re.compile(r"^[\u4e00-\u9fff]{2,4}?(?<![园校社小景厂矿林营])(?:区|县|旗)"
                       r"(?=.)")
_NUMBER_SIGN = re.compile(r"(\d)[号號]")
# a province written without 省 (江西南昌市…) is a prefix only where a city, a district or
# the default city follows: 江西路, 湖南中路 are streets
PROVINCES = ("黑龙江", "内蒙古", "北京", "天津", "上海", "重庆", "河北", "山西", "辽宁",
             "吉林", "江苏", "浙江", "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南",
             "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海", "台湾", "广西",
             "西藏", "宁夏", "新疆", "香港", "澳门")
# the country in front of an address (its traditional 國 already made 国), only where a
# province or a city follows (中国路 is a street)
_COUNTRY = re.compile(r"^(?:中华人民共和国|中華人民共和国|中国)(?=[\u4e00-\u9fff]{2,3}省|"
                      r"[\u4e00-\u9fff]{2,4}市|" + "|".join(PROVINCES) + ")")
# traditional forms of the administrative suffixes (NFKC leaves them): 東湖區 is 东湖区
_TRADITIONAL_SUFFIXES = str.maketrans({"區": "区", "縣": "县", "國": "国"})
# the words written before an invoice number ("Invoice No. ", "Fapiao #", "FP-", "No"),
# each followed by a separator or, glued to it, by the number's first digit
_INVOICE_DECORATION = re.compile(r"^(?:(?:INVOICE|FAPIAO|NUMBER|NUM|NBR|INV|NO|NR|FP)"
                                 r"(?:[^0-9A-Z]+|(?=\d)))+")


def nfkc(value):
    """Unicode NFKC of ``value`` (None and blanks become '')."""
    return unicodedata.normalize("NFKC", value or "").strip()


def compact(value):
    """NFKC, case-folded, without spacing and punctuation."""
    return _SPACES_AND_PUNCTUATION.sub("", nfkc(value)).casefold()


def name_key(value):
    """A person's or organisation's name: NFKC, no spacing or middle dots (张·伟 = 张伟),
    Latin letters case-folded."""
    key = _MIDDLE_DOTS.sub("", nfkc(value))
    return _SPACES_AND_PUNCTUATION.sub("", key).casefold() or None


def phone_key(value, area_code=DEFAULT_AREA_CODE):
    """+86 and the national significant number, or None when there are too few digits or
    too many for one number (a field holding two).

    0791-88880001, (0791) 8888 0001, +86 791 8888 0001, 0086-791-88880001 and 88880001
    (a local number, in ``area_code``) are all +8679188880001; +86 138 0013 8000 and
    138-0013-8000 are +8613800138000."""
    text = nfkc(value)
    text = _EXTENSION.sub("", text) if re.search(r"\d", text) else text
    international = text.lstrip().startswith(("+", "00"))
    digits = re.sub(r"\D", "", text)
    if international:
        digits = digits[2:] if digits.startswith("00") else digits
        if digits.startswith("86"):
            digits = digits[2:]
        else:
            return "+" + digits if len(digits) >= 7 else None   # another country's
    elif digits.startswith("86") and (len(digits) in (12, 13) and digits[2] != "0"
                                      or len(digits) == 14 and digits[2] == "0"):
        digits = digits[2:]         # 86 written without + or 00 (and the trunk 0 kept)
    if digits.startswith("0"):
        digits = digits[1:]
    elif len(digits) in (7, 8):
        digits = area_code + digits
    if not 9 <= len(digits) <= 11:
        return None     # too short, or two numbers in one field (no national number is longer)
    return "+86" + digits


def _without_country_and_province(value):
    """The compacted address without the country and the province in front, however
    they are written (中国江西省…, 江西南昌市…, 中国·江西·南昌·东湖区…)."""
    text = _COUNTRY.sub("", compact(value).translate(_TRADITIONAL_SUFFIXES))
    text = _PROVINCE.sub("", text)
    for province in PROVINCES:
        if text.startswith(province) and not text.startswith(province + "省"):
            rest = text[len(province):]
            if _CITY.match(rest) or rest.startswith((DEFAULT_CITY,) + KNOWN_DISTRICTS):
                text = rest
            break
    # the default city written without 市 before one of its districts (南昌东湖区…)
    if text.startswith(DEFAULT_CITY) and text[len(DEFAULT_CITY):].startswith(
            DEFAULT_CITY_DISTRICTS + KNOWN_DISTRICTS):
        text = text[len(DEFAULT_CITY):]
        return DEFAULT_CITY + "市" + text
    return text


def address_key(value):
    """An address without its administrative prefixes, spacing and punctuation:
    江西省南昌市东湖区八一大道333号 and 八一大道 333 号 share 八一大道333."""
    text = _without_country_and_province(value)
    text = _CITY.sub("", text)
    for known in KNOWN_DISTRICTS:
        if text.startswith(known):
            text = text[len(known):]
            break
    else:
        zone = _ZONE.match(text)
        if zone and len(text) > zone.end():
            text = text[zone.end():]
        else:
            text = _DISTRICT.sub("", text)
    text = _NUMBER_SIGN.sub(r"\1", text)
    return text or None


def address_city(value):
    """The city an address names (南昌 for 江西省南昌市东湖区…, and for an address that
    starts with one of the default city's districts or zones), or None when it names none.
    Two addresses whose keys are equal are one place unless they name different cities."""
    text = _without_country_and_province(value)
    city = _CITY.match(text)
    if city:
        return city.group(0)[:-1]
    if text.startswith(DEFAULT_CITY_DISTRICTS + KNOWN_DISTRICTS):
        return DEFAULT_CITY
    return None


def same_place(first, second):
    """Whether two addresses are one place: equal keys, and no two different cities."""
    key = address_key(first)
    if not key or key != address_key(second):
        return False
    cities = {address_city(first), address_city(second)} - {None}
    return len(cities) <= 1


def digits_key(value):
    """Only the digits (bank accounts, CNAPS codes)."""
    return re.sub(r"\D", "", nfkc(value)) or None


def invoice_key(value):
    """An invoice number as letters and digits only, upper-case, without the decorations
    written before it: 'No. 3600 7788', 'FP-36007788', '发票号码：３６００７７８８',
    'Invoice No. 36007788' and '36007788' are one invoice."""
    text = re.sub(r"^[^0-9A-Z]+", "", nfkc(value).upper())    # 发票号码：, №, spaces
    return re.sub(r"[^0-9A-Z]", "", _INVOICE_DECORATION.sub("", text)) or None


def identity_number_key(value):
    """An identity-document number: NFKC, upper-case, without separators. A 15-digit
    resident identity number of before 1999 becomes its 18-digit form, so both spellings
    of one person's number hash alike."""
    text = re.sub(r"[^0-9A-Z]", "", nfkc(value).upper())
    if len(text) == 15 and text.isdigit():
        first17 = text[:6] + "19" + text[6:]
        text = first17 + resident_id_check(first17)
    return text or None


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def resident_id_check(first17):
    """The check character of an 18-character resident identity number (ISO 7064)."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS)) % 11]


def is_resident_id(value):
    key = identity_number_key(value) or ""
    return (len(key) == 18 and key[:17].isdigit()
            and key[17] == resident_id_check(key[:17]))


MAX_ID = 2**31 - 1       # the largest id an INTEGER column holds


def typed_id(value):
    """An id typed or sent as text (a query argument, a form's value), or None when it is
    no number an id column can hold."""
    return whole_number(value, 1, MAX_ID)


def whole_number(value, low, high):
    """``int(value)`` when ``value`` is ASCII digits whose number lies in [low, high], else
    None. ``str.isdigit`` alone lets through what ``int`` refuses (a superscript ², a
    circled ①) and numbers no database integer holds: a query argument read with it
    failed the page instead of being ignored."""
    value = (value or "").strip()
    if not (value.isascii() and value.isdigit()) or len(value) > len(str(high)):
        return None
    number = int(value)
    return number if low <= number <= high else None
