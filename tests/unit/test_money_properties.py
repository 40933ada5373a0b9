"""Properties of the money rules: the contract split (voucher part, co-pay, caps), shares
in basis points and yuan typed by people. Hypothesis looks for the amounts that break
them; the database is not needed."""
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from marketplace.core.money import MoneyError, format_fen, share_of, yuan_to_fen
from marketplace.orders.pricing import split_contract
from marketplace.vouchers.models import ProgrammeRuleVersion

fen = st.integers(min_value=0, max_value=10**15)          # up to ¥10 trillion
basis_points = st.integers(min_value=1, max_value=10_000)
any_fen = st.integers(min_value=-10**15, max_value=10**15)


@settings(deadline=None)   # a loaded CI machine is no failure
@given(contract=fen, share=basis_points, available=any_fen, single_max=any_fen)
def test_the_voucher_part_and_the_copay_add_up_to_the_contract(contract, share, available,
                                                              single_max):
    split = split_contract(contract, share_bp=share, available_fen=available,
                           single_order_max_fen=single_max)
    assert isinstance(split.voucher_part_fen, int) and isinstance(split.copay_fen, int)
    assert split.voucher_part_fen + split.copay_fen == contract
    assert 0 <= split.voucher_part_fen <= contract
    assert split.copay_fen >= 0


@settings(deadline=None)   # a loaded CI machine is no failure
@given(contract=fen, share=basis_points, available=any_fen, single_max=any_fen)
def test_the_voucher_part_never_passes_any_bound(contract, share, available, single_max):
    split = split_contract(contract, share_bp=share, available_fen=available,
                           single_order_max_fen=single_max)
    bounds = {"share": share_of(contract, share), "balance": max(available, 0),
              "single_order_max": max(single_max, 0)}
    assert split.voucher_part_fen == min(bounds.values())
    assert split.voucher_part_fen == bounds[split.limited_by]
    # the voucher pays at most its share: the firm's co-pay is at least the rest
    assert split.copay_fen * 10_000 >= contract * (10_000 - share)


@settings(deadline=None)   # a loaded CI machine is no failure
@given(amount=fen, share=basis_points)
def test_a_share_is_rounded_down_to_the_fen_below(amount, share):
    part = share_of(amount, share)
    assert part * 10_000 <= amount * share < (part + 1) * 10_000


@settings(deadline=None)   # a loaded CI machine is no failure
@given(amount=fen, more=fen, share=basis_points)
def test_a_larger_amount_never_gets_a_smaller_share(amount, more, share):
    assert share_of(amount + more, share) >= share_of(amount, share)


@settings(deadline=None)   # a loaded CI machine is no failure
@given(amount=any_fen)
def test_shown_yuan_read_back_give_the_same_fen(amount):
    shown = format_fen(amount)
    assert yuan_to_fen(shown) == amount
    assert yuan_to_fen(format_fen(amount, symbol="￥")) == amount


@settings(deadline=None)   # a loaded CI machine is no failure
@given(yuan=st.integers(min_value=0, max_value=10**12), cents=st.integers(0, 99))
def test_typed_yuan_become_exact_integer_fen(yuan, cents):
    text = f"{yuan}.{cents:02d}"
    value = yuan_to_fen(text)
    assert isinstance(value, int) and value == yuan * 100 + cents


@settings(deadline=None)   # a loaded CI machine is no failure
@given(text=st.text(max_size=30))
def test_any_text_is_either_an_amount_or_refused_clearly(text):
    try:
        value = yuan_to_fen(text)
    except MoneyError:
        return
    except ValueError:
        # Decimal accepts "NaN"/"Infinity": they must not become money either
        raise AssertionError(f"{text!r} raised a bare ValueError, not MoneyError")
    assert isinstance(value, int)


tiers = st.sampled_from(["tech_sme", "high_tech", "benchmark_high_tech"])


@settings(deadline=None)   # a loaded CI machine is no failure
@given(caps=st.tuples(fen, fen, fen).filter(lambda c: min(c) > 0),
       shares=st.tuples(basis_points, basis_points, basis_points), tier=tiers)
def test_each_tier_gets_its_own_cap_and_share(caps, shares, tier):
    rules = ProgrammeRuleVersion(
        cap_fen_tech_sme=caps[0], cap_fen_high_tech=caps[1], cap_fen_benchmark=caps[2],
        share_bp_tech_sme=shares[0], share_bp_high_tech=shares[1],
        share_bp_benchmark=shares[2])
    index = ["tech_sme", "high_tech", "benchmark_high_tech"].index(tier)
    assert rules.cap_for(tier) == caps[index]
    assert rules.share_bp_for(tier) == shares[index]


@settings(deadline=None)   # a loaded CI machine is no failure
@given(contract=fen, share=basis_points, cap=fen, spent=fen)
def test_a_voucher_within_its_cap_never_pays_more_than_it_holds(contract, share, cap, spent):
    assume(spent <= cap)
    split = split_contract(contract, share_bp=share, available_fen=cap - spent,
                           single_order_max_fen=cap)
    assert spent + split.voucher_part_fen <= cap
