"""Objects of the exchange's tests, made through the real services."""
from marketplace.exchange import brokerage, services
from tests.factories import AgencyMemberFactory, FirmMemberFactory, make_agency_profile, staff


def make_result(profile=None, *, title="碳纤维复合材料快速成型技术",
                summary="快速固化树脂体系与模压成型工艺，碳纤维复合材料构件成型周期短。",
                field_code="new_materials", **fields):
    profile = profile or make_agency_profile()
    actor = profile.organisation.members[0]
    values = {"ip_type": "invention_patent", "ip_numbers": "ZL202310000001.X", "trl": 6,
              "transfer_modes": ["mode_transfer", "mode_licence"],
              "asking_price_fen": 500_000_00}
    values.update(fields)
    return services.create_result(profile, actor, title=title, summary=summary,
                                  field_code=field_code, **values)


def make_demand(firm_member=None, *, title="汽车结构件碳纤维复合材料成型",
                description="我公司需要碳纤维复合材料快速成型工艺，替代钢制结构件，降低重量。",
                field_code="new_materials", **fields):
    firm_member = firm_member or FirmMemberFactory()
    return services.create_demand(firm_member, title=title, description=description,
                                  field_code=field_code, **fields)


def make_broker(member=None):
    """An agency member marked as a technology broker by the bureau."""
    if member is None:
        member = AgencyMemberFactory(is_owner=True)
        make_agency_profile(member)
    brokerage.set_broker(staff("auditor"), member, True)
    return member
