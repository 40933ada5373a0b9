"""`flask seed-demo`: the demo cast. Idempotent: a second run adds nothing."""
from marketplace.accounts import services as accounts
from marketplace.accounts import uscc
from marketplace.accounts.models import District, FirmTier, OrganisationKind
from marketplace.accounts.reference import seed_reference_data
from marketplace.demo.agencies import seed_demo_agencies
from marketplace.demo.experts import seed_demo_experts
from marketplace.extensions import db
from marketplace.core.normalise import resident_id_check

DEMO_PASSWORD = "demo12345"

STAFF = (
    ("admin@demo.local", "系统管理员 Admin", "admin"),
    ("auditor@demo.local", "审核员 Auditor", "auditor"),
    ("supervisor@demo.local", "复核员 Supervisor", "supervisor"),
    ("expert1@demo.local", "专家一 Expert One", "expert"),
    ("expert2@demo.local", "专家二 Expert Two", "expert"),
    ("expert3@demo.local", "专家三 Expert Three", "expert"),
)

# (email, owner name, kind, organisation name, credit-code prefix, district code,
#  legal representative, address, phone, bank account, firm tier)
ORGANISATIONS = (
    ("firm1@demo.local", "张伟 Zhang Wei", OrganisationKind.FIRM, "南昌赣新材料科技有限公司",
     "91360106MA35D0001", "high_tech_zone", "张伟", "南昌高新区艾溪湖北路88号",
     "0791-88880001", "6222020200000000011", FirmTier.TECH_SME),
    ("firm2@demo.local", "李娜 Li Na", OrganisationKind.FIRM, "江西洪都智能装备有限公司",
     "91360121MA35D0002", "nanchang_county", "李娜", "南昌县小蓝工业园富山大道9号",
     "0791-88880002", "6222020200000000022", FirmTier.HIGH_TECH),
    ("agency1@demo.local", "王强 Wang Qiang", OrganisationKind.AGENCY,
     "南昌洪城技术转移服务有限公司", "91360102MA35D0003", "donghu", "王强",
     "南昌市东湖区八一大道333号", "0791-88880003", "6222020200000000033", None),
    ("agency2@demo.local", "陈静 Chen Jing", OrganisationKind.AGENCY,
     "华东理工大学技术转移中心（南昌工作站）", "12310000425006000", "honggutan", "陈静",
     "南昌市红谷滩区赣江中大道1号", "0791-88880004", "6222020200000000044", None),
    ("agency3@demo.local", "刘洋 Liu Yang", OrganisationKind.AGENCY, "江西省材料科学研究所",
     "12360000491000000", "qingshanhu", "刘洋", "南昌市青山湖区北京东路1166号",
     "0791-88880005", "6222020200000000055", None),
)
# the first 17 characters of each legal representative's (made-up) identity number, and
# the payee's bank of each organisation: (bank and branch, CNAPS code)
REPRESENTATIVE_IDS = {"firm1@demo.local": "36010219800115101",
                      "firm2@demo.local": "36012119820321202",
                      "agency1@demo.local": "36010219750709303",
                      "agency2@demo.local": "31011019790212404",
                      "agency3@demo.local": "36011119711130505"}
BANKS = {"firm1@demo.local": ("中国工商银行南昌高新支行", "102421000102"),
         "firm2@demo.local": ("中国银行南昌县支行", "104421000206"),
         "agency1@demo.local": ("中国建设银行南昌八一大道支行", "105421000303"),
         "agency2@demo.local": ("交通银行南昌红谷滩支行", "301421000407"),
         "agency3@demo.local": ("中国农业银行南昌青山湖支行", "103421000504")}


def seed_demo_data():
    added = {"reference": seed_reference_data(), "staff": 0, "organisations": 0}
    for email, name, role in STAFF:
        if accounts.find_user_by_email(email) is None:
            accounts.create_staff_user(email=email, name=name, role=role,
                                       password=DEMO_PASSWORD)
            added["staff"] += 1
    districts = {d.code: d.id for d in db.session.query(District)}
    for (email, owner_name, kind, org_name, code_prefix, district_code, legal_rep, address,
         phone, bank, tier) in ORGANISATIONS:
        if accounts.find_user_by_email(email) is not None:
            continue
        if tier is not None:      # the demo firms are on the bureau's certification lists
            _certify(uscc.make(code_prefix), org_name, tier)
        first17 = REPRESENTATIVE_IDS[email]
        accounts.register_organisation(
            kind=kind, name=org_name, credit_code=uscc.make(code_prefix),
            legal_representative=legal_rep, registered_address=address, contact_phone=phone,
            district_id=districts[district_code], bank_account=bank,
            bank_name=BANKS[email][0], bank_cnaps_code=BANKS[email][1],
            legal_representative_id_number=first17 + resident_id_check(first17),
            firm_tier=tier.value if tier else None, owner_email=email, owner_name=owner_name,
            password=DEMO_PASSWORD, locale="zh")
        added["organisations"] += 1
    db.session.flush()
    added["programmes"], added["vouchers"], added["applications"] = seed_demo_vouchers()
    added["agencies"], added["offerings"] = seed_demo_agencies()
    added["experts"] = seed_demo_experts()
    return ("demo data: {reference} reference rows, {staff} staff accounts, "
            "{organisations} organisations, {programmes} programmes, {vouchers} vouchers, "
            "{applications} pending applications, {agencies} admitted agencies, "
            "{offerings} offerings, {experts} expert profiles added "
            "(password: demo12345)").format(**added)


def _certify(code, name, tier):
    """The firm's certificate on the list of its tier (as the bureau's import brings it)."""
    from datetime import date

    from sqlalchemy import select

    from marketplace.integrity.models import CertificationEntry, CertificationSource

    number = f"GR{date.today().year - 1}36{code[-8:]}"
    if db.session.execute(select(CertificationEntry.id).where(
            CertificationEntry.certificate_number == number)).first() is None:
        db.session.add(CertificationEntry(
            tier=tier, uscc=code, organisation_name=name, certificate_number=number,
            valid_from=date(date.today().year - 1, 1, 1),
            valid_to=date(date.today().year + 2, 12, 31), source=CertificationSource.LIST))
        db.session.flush()


DEMO_PROGRAMME_NAME = "2026年度洪城科创券"


def seed_demo_vouchers():
    """Programme 2026 open with ¥50,000,000; firm1 holds a ¥200,000 voucher; firm2 has a
    pending application."""
    from datetime import date

    from sqlalchemy import select

    from marketplace.agencies.reference import active_categories
    from marketplace.vouchers import services as vouchers
    from marketplace.vouchers.models import Programme, VoucherApplication

    counts = [0, 0, 0]
    programme = db.session.execute(
        select(Programme).where(Programme.name == DEMO_PROGRAMME_NAME)).scalar_one_or_none()
    admin = accounts.find_user_by_email("admin@demo.local")
    if programme is None:
        programme = vouchers.create_programme(
            actor=admin, name=DEMO_PROGRAMME_NAME, year=2026, budget_fen=50_000_000_00,
            applications_open_on=date(2026, 1, 1), applications_close_on=date(2026, 12, 31),
            vouchers_valid_until=date(2027, 12, 31),
            rules={"eligible_category_codes": [c.code for c in active_categories()]})
        counts[0] = 1
    auditor = accounts.find_user_by_email("auditor@demo.local")
    today = max(date.today(), programme.applications_open_on)
    today = min(today, programme.applications_close_on)
    for email, amount, approve in (("firm1@demo.local", 200_000_00, True),
                                   ("firm2@demo.local", 150_000_00, False)):
        member = accounts.find_user_by_email(email)
        exists = db.session.execute(select(VoucherApplication.id).where(
            VoucherApplication.firm_id == member.organisation_id,
            VoucherApplication.programme_id == programme.id)).first()
        if exists:
            continue
        application = vouchers.apply_for_voucher(
            firm=member.organisation, applicant=member, programme=programme,
            requested_fen=amount, purpose="新材料性能检测与工艺优化的技术服务",
            planned_category_codes=["testing", "rnd_design"],
            declares_no_double_funding=True, today=today)
        if approve:
            vouchers.decide_application(application, actor=auditor, decision="approve",
                                        comment="符合申报条件")
            counts[1] += 1
        else:
            counts[2] += 1
    return tuple(counts)
