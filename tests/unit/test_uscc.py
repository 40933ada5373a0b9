import pytest

from marketplace.accounts import uscc


@pytest.mark.parametrize("code", ["91110000600037341L", "91350100M000100Y43",
                                  "91110108551385082Q", " 91110000600037341l "])
def test_real_credit_codes_pass_the_check(code):
    assert uscc.validate(code) == code.strip().upper()


@pytest.mark.parametrize("code, reason", [
    ("91110000600037341M", "check"),
    ("9111000060003734", "length"),
    ("91110000600037341LX", "length"),
    ("9111000060003734IL", "characters"),  # I is never used
    ("91AB0000600037341L", "division"),
])
def test_wrong_credit_codes_say_what_is_wrong(code, reason):
    with pytest.raises(uscc.InvalidCreditCode) as raised:
        uscc.validate(code)
    assert raised.value.reason == reason


def test_check_character_completes_any_prefix():
    for prefix in ("91360106MA35D0001", "12310000425006000", "91360000000000000"):
        assert uscc.is_valid(uscc.make(prefix))
