"""The reward list as a pure function of the contracts and the year's rules: the rates,
the per-contract and per-registration amounts, the caps and the exclusions."""
import marketplace.models  # noqa: F401  (the whole schema, so the rules' row can be built)
from marketplace.incentives.computation import Contract, Party, compute
from marketplace.incentives.models import ExclusionReason, IncentiveRules, RewardRole

SELLER = Party("江西省材料科学研究所", organisation_id=3)
BUYER = Party("南昌赣新材料科技有限公司", organisation_id=1)
BROKER = Party("南昌洪城技术转移服务有限公司", organisation_id=2)
OFFICE = Party("青山湖区", district_id=4)


def rules(**changes):
    return IncentiveRules(year=2025, version=1, **{**IncentiveRules.DEFAULTS, **changes})


def contract(number, technical_fen, **kwargs):
    return Contract(number=number, technical_fen=technical_fen,
                    **{"seller": SELLER, "buyer": BUYER, "office": OFFICE, **kwargs})


def by_role(lines):
    return {line.role: line for line in lines}


def test_the_seller_gets_one_percent_and_the_office_a_hundred_yuan_per_registration():
    lines, exclusions = compute([contract("C1", 500_000_00, registrations=2)], rules())
    found = by_role(lines)
    assert exclusions == []
    assert found[RewardRole.SELLER].amount_fen == 5_000_00
    assert found[RewardRole.REGISTRATION_OFFICE].amount_fen == 200_00
    assert found[RewardRole.REGISTRATION_OFFICE].registrations == 2
    # the default rules give the buyer nothing, so the buyer has no line
    assert RewardRole.BUYER not in found and RewardRole.BROKER not in found


def test_a_brokered_contract_earns_the_broker_two_thousand_yuan():
    lines, _ = compute([contract("C1", 100_000_00, broker=BROKER),
                        contract("C2", 300_000_00, broker=BROKER)], rules())
    broker = by_role(lines)[RewardRole.BROKER]
    assert (broker.contracts, broker.amount_fen) == (2, 4_000_00)
    assert broker.items == [["C1", 100_000_00, 2_000_00], ["C2", 300_000_00, 2_000_00]]


def test_the_seller_cap_is_per_organisation_and_year():
    # ¥30 m of technical amount: 1% is ¥300,000, capped at ¥200,000
    contracts = [contract(f"C{i}", 10_000_000_00) for i in range(3)]
    seller = by_role(compute(contracts, rules())[0])[RewardRole.SELLER]
    assert seller.computed_fen == 300_000_00
    assert seller.cap_fen == 200_000_00
    assert seller.amount_fen == 200_000_00
    uncapped = by_role(compute(contracts, rules(seller_cap_fen=0))[0])[RewardRole.SELLER]
    assert uncapped.cap_fen is None and uncapped.amount_fen == 300_000_00


def test_a_rate_is_rounded_down_to_the_fen_per_contract():
    lines, _ = compute([contract("C1", 12_345), contract("C2", 99)], rules())
    # 1% of 123.45 yuan is 1.2345 yuan: 123 fen; of 0.99 yuan 0 fen, which is no reward
    assert by_role(lines)[RewardRole.SELLER].items == [["C1", 12_345, 123]]


def test_cancelled_contracts_and_contracts_amended_to_zero_earn_nothing():
    lines, exclusions = compute([contract("C1", 0, cancelled=True),
                                 contract("C2", 0), contract("C3", 100_000_00)], rules())
    assert [(x.contract.number, x.reason) for x in exclusions] == [
        ("C1", ExclusionReason.CANCELLED), ("C2", ExclusionReason.AMENDED_TO_ZERO)]
    office = by_role(lines)[RewardRole.REGISTRATION_OFFICE]
    assert office.contracts == 1 and office.items[0][0] == "C3"


def test_related_parties_earn_nothing_unless_the_rules_allow_it():
    related = contract("C1", 100_000_00, related_fields=("contact_phone",), broker=BROKER)
    lines, exclusions = compute([related], rules())
    assert lines == []
    assert [(x.contract.number, x.reason) for x in exclusions] == [
        ("C1", ExclusionReason.RELATED_PARTY)]
    lines, exclusions = compute([related], rules(excludes_related_parties=0))
    assert exclusions == [] and by_role(lines)[RewardRole.SELLER].amount_fen == 1_000_00


def test_beneficiaries_known_by_name_only_get_lines_of_their_own():
    outside = Party("某大学")
    lines, _ = compute([contract("C1", 100_000_00, seller=outside),
                        contract("C2", 100_000_00, seller=Party("另一所大学"))], rules())
    sellers = [line for line in lines if line.role == RewardRole.SELLER]
    assert sorted(line.party.name for line in sellers) == ["另一所大学", "某大学"]


def test_a_buyer_reward_when_the_rules_give_one():
    lines, _ = compute([contract("C1", 100_000_00)],
                       rules(buyer_per_contract_fen=500_00, buyer_rate_bp=50,
                             buyer_cap_fen=600_00))
    buyer = by_role(lines)[RewardRole.BUYER]
    assert (buyer.computed_fen, buyer.amount_fen) == (1_000_00, 600_00)


def test_one_seller_written_two_ways_in_the_registry_shares_one_capped_line():
    # the registration system's exports spell one name with full- or half-width brackets
    # and stray spaces: counted as two sellers, each kept its own ¥200,000 cap
    spellings = ("江西某某（南昌）技术转移有限公司", "江西某某(南昌)技术转移有限公司 ",
                 "江西某某 （南昌） 技术转移有限公司")
    lines, _ = compute([contract(f"C{i}", 15_000_000_00, seller=Party(name))
                        for i, name in enumerate(spellings)], rules())
    [seller] = [line for line in lines if line.role == RewardRole.SELLER]
    assert seller.contracts == 3
    assert seller.computed_fen == 3 * 150_000_00
    assert seller.amount_fen == 200_000_00


def test_a_party_to_the_contract_earns_no_broker_reward_for_it():
    """A broker stands between the buyer and the seller: an agency that "brokered" its own
    sale (or purchase) would earn the seller's 1% and the broker's ¥2,000 on one contract."""
    own_sale = contract("C1", 100_000_00, broker=Party(SELLER.name, SELLER.organisation_id))
    own_purchase = contract("C2", 100_000_00, broker=Party(BUYER.name, BUYER.organisation_id))
    brokered = contract("C3", 100_000_00, broker=BROKER)
    lines, exclusions = compute([own_sale, own_purchase, brokered], rules())
    assert exclusions == []
    brokers = [line for line in lines if line.role == RewardRole.BROKER]
    assert [(line.party, line.items) for line in brokers] == [
        (BROKER, [["C3", 100_000_00, 2_000_00]])]
    assert by_role(lines)[RewardRole.SELLER].contracts == 3   # the sale itself still counts
