"""Offering services: publishing, price rules, editing, withdrawing, moderation, and the
admin's category tree; each rule against the real database, audit log and outbox."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace.agencies import categories
from marketplace.agencies import services as registry
from marketplace.agencies.models import ServiceCategory
from marketplace.catalogue import services
from marketplace.catalogue.models import Offering, OfferingStatus, PriceModel
from marketplace.catalogue.services import CatalogueQuery, search_catalogue
from marketplace.core import outbox
from marketplace.core.audit import AuditRecord
from marketplace.core.errors import InvalidTransition, ValidationFailed
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from tests.factories import (AgencyMemberFactory, make_agency_profile, make_offering,
                             staff)


def category_id(code):
    return db.session.execute(select(ServiceCategory.id).where(
        ServiceCategory.code == code)).scalar_one()


def fields(**changes):
    values = {"title": "材料检测服务", "category_id": category_id("testing"),
              "description": "依据国家标准开展金属材料的成分与性能检测。",
              "deliverables": "检测报告", "price_model": "fixed", "price_fen": 8_000_00,
              "guide_min_fen": None, "guide_max_fen": None, "typical_duration_days": 10,
              "accepts_vouchers": True}
    values.update(changes)
    return values


def audit_actions(offering):
    return [row.action for row in db.session.execute(
        select(AuditRecord).where(AuditRecord.object_type == "Offering",
                                  AuditRecord.object_id == str(offering.id))
        .order_by(AuditRecord.id)).scalars()]


def visible_titles(**filters):
    return [o.title for o in search_catalogue(CatalogueQuery(**filters)).items]


def queue():
    return db.session.execute(services.moderation_queue()).scalars().all()


@pytest.fixture
def agency():
    profile = make_agency_profile()
    db.session.commit()
    return profile


@pytest.fixture
def member(agency):
    return agency.organisation.members[0]


# --- publishing -----------------------------------------------------------------------

def test_a_new_offering_is_visible_at_once_and_waits_for_a_check(agency, member):
    offering = services.create_offering(agency, member, **fields())
    db.session.commit()

    assert offering.status == OfferingStatus.PUBLISHED and offering.needs_check
    assert services.is_visible(offering)
    assert visible_titles() == ["材料检测服务"]
    assert queue() == [offering]
    assert (offering.price_low_fen, offering.price_high_fen) == (8_000_00, 8_000_00)
    assert audit_actions(offering) == ["create"]


@pytest.mark.parametrize("status", ["draft", "submitted", "public_notice", "suspended",
                                    "removed"])
def test_only_an_admitted_agency_publishes(status):
    profile = make_agency_profile(status=status)
    member = profile.organisation.members[0]
    with pytest.raises(services.AgencyNotActive) as refused:
        services.create_offering(profile, member, **fields())
    assert refused.value.code == "agency_not_active" and refused.value.status == 409
    db.session.rollback()
    assert db.session.query(Offering).count() == 0


def test_a_suspended_agency_can_neither_edit_nor_republish(agency, member, auditor):
    offering = make_offering(agency, actor=member)
    services.withdraw_offering(offering, member)
    registry.suspend(agency, auditor, "资质核查")
    db.session.commit()
    with pytest.raises(services.AgencyNotActive):
        services.update_offering(offering, member, title="新标题")
    with pytest.raises(services.AgencyNotActive):
        services.publish_offering(offering, member)


# --- price rules ------------------------------------------------------------------------

@pytest.mark.parametrize("price_fen", [None, 0, -100])
def test_a_fixed_price_is_required_and_positive(agency, member, price_fen):
    with pytest.raises(ValidationFailed) as refused:
        services.create_offering(agency, member, **fields(price_fen=price_fen))
    assert refused.value.details == {"field": "price"}


def test_a_guide_range_must_run_from_low_to_high(agency, member):
    with pytest.raises(ValidationFailed) as refused:
        services.create_offering(agency, member, **fields(
            price_model="quotation", price_fen=None, guide_min_fen=50_000_00,
            guide_max_fen=10_000_00))
    assert refused.value.details == {"field": "guide_min"}


@pytest.mark.parametrize("low, high", [(-1, None), (None, -1), (-500, 100)])
def test_guide_amounts_cannot_be_negative(agency, member, low, high):
    with pytest.raises(ValidationFailed) as refused:
        services.create_offering(agency, member, **fields(
            price_model="quotation", price_fen=None, guide_min_fen=low, guide_max_fen=high))
    assert refused.value.details == {"field": "guide_min"}


def test_a_quotation_keeps_no_fixed_price_and_its_band_follows_the_guide(agency, member):
    only_high = services.create_offering(agency, member, **fields(
        price_model="quotation", price_fen=9_999_00, guide_max_fen=30_000_00))
    without_guide = services.create_offering(agency, member, **fields(
        title="专利导航", price_model="quotation", price_fen=None))
    db.session.commit()

    assert only_high.price_model == PriceModel.QUOTATION and only_high.price_fen is None
    assert (only_high.price_low_fen, only_high.price_high_fen) == (30_000_00, 30_000_00)
    assert (without_guide.price_low_fen, without_guide.price_high_fen) == (None, None)
    # a price filter cannot place an offering without a guide: it is left out
    assert visible_titles(price_max_fen=50_000_00) == ["材料检测服务"]


def test_a_fixed_price_drops_a_guide_range_sent_with_it(agency, member):
    offering = services.create_offering(agency, member, **fields(
        guide_min_fen=1_00, guide_max_fen=2_00))
    assert (offering.guide_min_fen, offering.guide_max_fen) == (None, None)


def test_an_inactive_or_unknown_category_is_refused(agency, member):
    testing = db.session.get(ServiceCategory, category_id("testing"))
    testing.is_active = False
    for chosen in (testing.id, 987654, None):
        with pytest.raises(ValidationFailed) as refused:
            services.create_offering(agency, member, **fields(category_id=chosen))
        assert refused.value.details == {"field": "category_id"}


@pytest.mark.parametrize("days", [0, -3, None])
def test_the_typical_duration_is_at_least_one_day(agency, member, days):
    with pytest.raises(ValidationFailed) as refused:
        services.create_offering(agency, member, **fields(typical_duration_days=days))
    assert refused.value.details == {"field": "typical_duration_days"}


# --- editing, withdrawing, publishing again ---------------------------------------------

def test_an_edit_flags_the_offering_for_a_check_again_and_records_what_changed(
        agency, member, auditor):
    offering = make_offering(agency, actor=member)
    services.mark_checked(offering, auditor)
    db.session.commit()
    before = offering.updated_dt
    assert queue() == []

    services.update_offering(offering, member, price_model="quotation",
                             guide_min_fen=5_000_00, guide_max_fen=12_000_00)
    db.session.commit()

    assert offering.needs_check and queue() == [offering]
    assert offering.updated_dt >= before
    assert offering.price_fen is None
    assert (offering.price_low_fen, offering.price_high_fen) == (5_000_00, 12_000_00)
    edit = db.session.execute(select(AuditRecord).where(
        AuditRecord.action == "edit")).scalar_one()
    assert edit.actor_id == member.id
    assert edit.data_dict["changed"] == {
        "price_model": ["fixed", "quotation"], "price_fen": [8_000_00, None],
        "guide_min_fen": [None, 5_000_00], "guide_max_fen": [None, 12_000_00]}


def test_a_new_category_is_searchable_after_an_edit(agency, member):
    offering = make_offering(agency, actor=member, title="专利检索分析")
    db.session.commit()
    assert visible_titles(q="知识产权") == []

    services.update_offering(offering, member, category_id=category_id("ip"))
    db.session.commit()

    assert visible_titles(q="知识产权") == ["专利检索分析"]
    assert visible_titles(category="ip") == ["专利检索分析"]


def test_a_withdrawn_offering_is_hidden_and_published_again_waits_for_a_check(
        agency, member, auditor):
    offering = make_offering(agency, actor=member)
    services.mark_checked(offering, auditor)
    services.withdraw_offering(offering, member)
    db.session.commit()
    assert not services.is_visible(offering) and visible_titles() == []
    with pytest.raises(InvalidTransition):
        services.withdraw_offering(offering, member)

    services.publish_offering(offering, member)
    db.session.commit()

    assert services.is_visible(offering) and offering.needs_check
    assert audit_actions(offering) == ["create", "moderation_check", "withdraw", "publish"]


def test_a_published_offering_cannot_be_published_twice(agency, member):
    offering = make_offering(agency, actor=member)
    with pytest.raises(InvalidTransition):
        services.publish_offering(offering, member)


# --- moderation -------------------------------------------------------------------------

def test_the_queue_lists_unchecked_visible_offerings_oldest_change_first(agency, member,
                                                                         auditor):
    first = make_offering(agency, actor=member, title="甲")
    second = make_offering(agency, actor=member, title="乙")
    third = make_offering(agency, actor=member, title="丙")
    first.updated_dt = second.updated_dt - timedelta(minutes=5)
    services.withdraw_offering(third, member)
    hidden = make_offering(make_agency_profile(AgencyMemberFactory()), title="丁")
    registry.suspend(hidden.agency, auditor, "资质核查")
    db.session.commit()
    assert [o.title for o in queue()] == ["甲", "乙"]

    services.mark_checked(first, auditor)
    db.session.commit()
    assert [o.title for o in queue()] == ["乙"]
    assert first.checked_by_id == auditor.id and first.checked_dt is not None
    assert audit_actions(first)[-1] == "moderation_check"


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_take_down_needs_a_reason(agency, member, auditor, reason):
    offering = make_offering(agency, actor=member)
    with pytest.raises(ValidationFailed) as refused:
        services.take_down(offering, auditor, reason)
    assert refused.value.code == "reason_required"
    assert offering.status == OfferingStatus.PUBLISHED


def test_a_take_down_hides_the_offering_and_records_the_reason(agency, member, auditor):
    offering = make_offering(agency, actor=member)
    db.session.commit()

    services.take_down(offering, auditor, "  价格与服务内容不符  ")
    db.session.commit()

    assert offering.status == OfferingStatus.TAKEN_DOWN
    assert offering.takedown_reason == "价格与服务内容不符"
    assert not services.is_visible(offering) and visible_titles() == [] and queue() == []
    record = db.session.execute(select(AuditRecord).where(
        AuditRecord.action == "take_down")).scalar_one()
    assert (record.actor_id, record.before_state, record.after_state) == (
        auditor.id, "published", "taken_down")
    assert record.data_dict == {"reason": "价格与服务内容不符"}


def test_a_take_down_notifies_every_active_member_of_the_agency(agency, member, auditor):
    colleague = AgencyMemberFactory(organisation=agency.organisation, is_owner=False)
    AgencyMemberFactory(organisation=agency.organisation, is_owner=False,
                        is_active_account=False)
    outsider = AgencyMemberFactory()
    offering = make_offering(agency, actor=member)
    db.session.commit()
    outbox._committed_ids.set(None)        # only the take-down's messages are relayed

    services.take_down(offering, auditor, "服务描述夸大")
    db.session.commit()
    outbox.relay_pending()

    told = db.session.execute(select(Notification).where(
        Notification.kind == "offering_taken_down")).scalars().all()
    assert sorted(n.user_id for n in told) == sorted([member.id, colleague.id])
    assert outsider.id not in {n.user_id for n in told}
    assert all(n.params_dict["reason"] == "服务描述夸大" and
               n.link == f"/my/offerings/{offering.id}/edit" for n in told)


def test_a_taken_down_offering_published_again_loses_the_reason_and_waits(agency, member,
                                                                          auditor):
    offering = make_offering(agency, actor=member)
    services.take_down(offering, auditor, "价格不清")
    services.update_offering(offering, member, description="价格已写明：每项检测¥800。")
    services.publish_offering(offering, member)
    db.session.commit()
    assert offering.status == OfferingStatus.PUBLISHED and offering.needs_check
    assert offering.takedown_reason is None and queue() == [offering]


def test_a_withdrawn_offering_cannot_be_taken_down(agency, member, auditor):
    offering = make_offering(agency, actor=member)
    services.withdraw_offering(offering, member)
    with pytest.raises(InvalidTransition):
        services.take_down(offering, auditor, "重复发布")


# --- the category tree ------------------------------------------------------------------

def save(category=None, **changes):
    values = {"code": "lab", "name_zh": "实验室服务", "name_en": "Laboratory services",
              "parent_id": None, "is_active": True, "sort_order": 5}
    values.update(changes)
    if category is not None:
        values.pop("code")
    return categories.save_category(staff("admin"), category=category, **values)


def test_a_category_is_placed_in_the_tree_below_its_parent():
    testing = db.session.get(ServiceCategory, category_id("testing"))
    child = save(parent_id=testing.id)
    grandchild = save(code="lab_metal", name_zh="金属检测", parent_id=child.id)
    db.session.commit()
    tree = [(c.code, depth) for c, depth in categories.category_tree()]
    at = tree.index(("testing", 0))
    assert tree[at + 1:at + 3] == [("lab", 1), ("lab_metal", 2)]
    assert categories.descendant_ids(testing.id) == {child.id, grandchild.id}


def test_a_category_cannot_become_its_own_ancestor():
    parent = save()
    child = save(code="lab_metal", name_zh="金属检测", parent_id=parent.id)
    db.session.commit()
    for new_parent in (parent.id, child.id):
        with pytest.raises(categories.CategoryCycle) as refused:
            save(parent, parent_id=new_parent)
        assert refused.value.details == {"field": "parent_id"}
    db.session.rollback()
    assert db.session.get(ServiceCategory, parent.id).parent_id is None


def test_a_category_code_is_unique():
    with pytest.raises(categories.CategoryCodeTaken):
        save(code="testing")


def test_renaming_a_category_makes_its_offerings_findable_by_the_new_name(agency, member):
    make_offering(agency, actor=member, title="光谱分析")
    db.session.commit()
    testing = db.session.get(ServiceCategory, category_id("testing"))
    assert visible_titles(q="理化") == []

    save(testing, name_zh="理化检验", name_en="Physical and chemical testing",
         parent_id=None, sort_order=0)
    db.session.commit()

    assert visible_titles(q="理化") == ["光谱分析"]
    record = db.session.execute(select(AuditRecord).where(
        AuditRecord.object_type == "ServiceCategory", AuditRecord.action == "update")
    ).scalar_one()
    assert record.data_dict["name_zh"] == "理化检验"


def test_a_taken_down_offering_cannot_be_published_again_unchanged(agency, member, auditor):
    offering = make_offering(agency, actor=member)
    services.take_down(offering, auditor, "虚假宣传")
    db.session.commit()
    with pytest.raises(services.CorrectBeforePublishing) as refused:
        services.publish_offering(offering, member)
    assert refused.value.status == 409 and refused.value.details == {"reason": "虚假宣传"}
    db.session.rollback()
    assert offering.status == OfferingStatus.TAKEN_DOWN and not services.is_visible(offering)
    services.update_offering(offering, member, description="已删除夸大表述，如实说明服务范围。")
    services.publish_offering(offering, member)
    db.session.commit()
    assert offering.status == OfferingStatus.PUBLISHED and offering.needs_check


def test_saving_a_taken_down_offering_unchanged_does_not_let_it_be_published_again(
        agency, member, auditor):
    """The edit form sent back as it was (or the API's PATCH with the same values) is no
    correction: before, any save set needs_check, and the listing the bureau took down
    went back up unchanged with two clicks."""
    offering = make_offering(agency, actor=member)
    services.take_down(offering, auditor, "虚假宣传")
    db.session.commit()
    services.update_offering(offering, member, **{
        name: getattr(offering, name) for name in services.OFFERING_FIELDS})
    db.session.commit()
    with pytest.raises(services.CorrectBeforePublishing):
        services.publish_offering(offering, member)
    db.session.rollback()
    assert offering.status == OfferingStatus.TAKEN_DOWN and not services.is_visible(offering)
