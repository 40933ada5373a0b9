"""`flask seed-demo --contracts N`: N registered technology contracts for the current year,
like Nanchang's 2020 (1,892 contracts worth ¥7.292 bn): plausible types, districts, fields
and months, some paid partly by vouchers, a few amendments and one cancellation.

A seeded random generator makes the same contracts every time; they go through the import
(one CSV built in memory), which skips numbers already registered, so a second run adds
nothing."""
import io
import random
from datetime import date, timedelta

from sqlalchemy import func, select

from marketplace.accounts.models import Role, User
from marketplace.core.money import FEN_PER_YUAN
from marketplace.core.spreadsheets import ImportReport, csv_writer
from marketplace.extensions import db
from marketplace.technology_fields.services import TECH_FIELDS
from marketplace.turnover.imports.columns import COLUMNS
from marketplace.turnover.imports.importer import import_file
from marketplace.turnover.models import (ContractRegistration, RegistrationKind,
                                         RegistrationSource)
from marketplace.turnover.registry import registration

DEFAULT_CONTRACTS = 1900
YEAR_TECHNICAL_FEN = 7_300_000_000 * 100     # ¥7.3 bn of technical transaction amount
SEED = 2020

TYPES = (("技术开发", 35, (0.70, 0.95)), ("技术服务", 30, (0.80, 1.00)),
         ("技术转让", 15, (0.90, 1.00)), ("技术咨询", 10, (0.90, 1.00)),
         ("技术许可", 10, (0.90, 1.00)))
DISTRICTS = (("南昌高新技术产业开发区", 30), ("南昌经济技术开发区", 15), ("红谷滩区", 10),
             ("小蓝经济技术开发区", 8), ("青山湖区", 8), ("东湖区", 6), ("西湖区", 5),
             ("青云谱区", 4), ("新建区", 4), ("南昌县", 4), ("赣江新区", 3), ("进贤县", 1.5),
             ("安义县", 1), ("湾里管理局", 0.5), ("市外", 3))
FIELD_WEIGHTS = {"electronic_information": 25, "advanced_manufacturing": 20,
                 "new_materials": 12, "biomedicine": 10, "new_energy": 9, "environment": 7,
                 "agriculture": 6, "urban_social": 6, "modern_transport": 3, "aerospace": 1.5,
                 "nuclear": 0.5}
# more contracts are registered as the year goes on, most in December
MONTH_WEIGHTS = (4, 4, 7, 7, 8, 9, 8, 8, 9, 9, 10, 17)
# universities, institutes and the demo agencies, each where it is
SELLERS = (("南昌大学", "红谷滩区"), ("江西师范大学", "南昌高新技术产业开发区"),
           ("华东交通大学", "南昌经济技术开发区"), ("南昌航空大学", "南昌高新技术产业开发区"),
           ("江西农业大学", "南昌经济技术开发区"), ("江西省科学院", "青山湖区"),
           ("南昌洪城技术转移服务有限公司", "东湖区"),
           ("华东理工大学技术转移中心（南昌工作站）", "红谷滩区"),
           ("江西省材料科学研究所", "青山湖区"), ("中国科学院赣江创新研究院", "赣江新区"))
CITY_WORDS = ("江西", "南昌", "洪城", "赣江", "豫章", "滕王", "青山", "艾溪", "瑶湖", "昌北")
TRADE_WORDS = ("智能", "光电", "新材料", "医药", "电子", "环保", "农业", "汽车", "软件",
               "装备", "节能", "检测", "生物", "食品", "航空")


def _pick(rng, weighted):
    items, weights = zip(*weighted)
    return rng.choices(items, weights=weights)[0]


def _company(rng):
    return f"{rng.choice(CITY_WORDS)}{rng.choice(TRADE_WORDS)}{rng.choice(TRADE_WORDS)}" \
           f"{rng.choice(('科技', '技术', '实业', '股份'))}有限公司"


def _registered_on(rng, year, today):
    last = today if year == today.year else date(year, 12, 31)
    while True:
        month = rng.choices(range(1, 13), weights=MONTH_WEIGHTS)[0]
        if month <= last.month:
            break
    day = date(year, month, 1) + timedelta(days=rng.randrange(28))
    return min(day, last)


def demo_rows(count, year, today=None):
    """The demo contracts as rows of the import format (header first)."""
    today = today or date.today()
    rng = random.Random(f"{SEED}-{year}")
    fields = [(zh, FIELD_WEIGHTS[code]) for code, zh, _en in TECH_FIELDS]
    drafts = []
    for number in range(1, count + 1):
        kind, _weight, (low, high) = rng.choices(TYPES, weights=[t[1] for t in TYPES])[0]
        raw = rng.lognormvariate(13.3, 1.5)           # median about ¥600,000
        registered = _registered_on(rng, year, today)
        signed = registered - timedelta(days=rng.randrange(5, 60))
        if rng.random() < 0.35:
            seller, district = rng.choice(SELLERS)
        else:
            seller, district = _company(rng), _pick(rng, DISTRICTS)
        drafts.append([f"DEMO{year}{number:05d}", kind, raw, rng.uniform(low, high),
                       _company(rng), seller, district, _pick(rng, fields),
                       max(signed, date(year, 1, 1)).isoformat(), registered.isoformat(),
                       "是" if rng.random() < 0.08 else "否"])
    # scale so the technical amounts add up to the year's figure (pro rata for count)
    wanted_yuan = YEAR_TECHNICAL_FEN // FEN_PER_YUAN * count // DEFAULT_CONTRACTS
    scale = wanted_yuan / sum(d[2] * d[3] for d in drafts)
    rows = [[zh for _key, zh, _en, _req in COLUMNS]]
    for draft in drafts:
        contract_yuan = max(10_000, round(draft[2] * scale))
        technical_yuan = round(contract_yuan * draft[3])
        rows.append([draft[0], draft[1], str(contract_yuan), str(technical_yuan)] + draft[4:])
    return rows


def seed_demo_contracts(count=DEFAULT_CONTRACTS, year=None, today=None):
    """Register the demo contracts (only those missing); returns how many were added."""
    today = today or date.today()
    year = year or today.year
    actor = db.session.execute(select(User).where(User.role == Role.AUDITOR)
                               .order_by(User.id).limit(1)).scalar_one_or_none()
    if actor is None or count <= 0:
        return 0
    buffer = io.StringIO()
    csv_writer(buffer).writerows(demo_rows(count, year, today))
    stream = io.BytesIO(buffer.getvalue().encode("utf-8"))
    result = import_file(stream, f"demo-contracts-{year}.csv", actor)
    if isinstance(result, ImportReport):
        raise RuntimeError(f"demo contracts refused: {result.lines()[:5]}")
    _adjust(count, year, today, actor)
    return result.rows_added


def _adjust(count, year, today, actor):
    """A few amendments and one cancellation, once."""
    prefix = f"DEMO{year}"
    if db.session.scalar(select(func.count(ContractRegistration.id)).where(
            ContractRegistration.contract_number.like(prefix + "%"),
            ContractRegistration.sequence > 0)):
        return
    rng = random.Random(f"{SEED}-{year}-adjust")
    numbers = rng.sample(range(1, count + 1), k=min(count, max(1, count // 200) + 1))
    for position, number in enumerate(numbers):
        contract_number = f"{prefix}{number:05d}"
        original = db.session.execute(select(ContractRegistration).where(
            ContractRegistration.contract_number == contract_number,
            ContractRegistration.sequence == 0, ContractRegistration.is_live())
        ).scalar_one_or_none()
        if original is None:
            continue
        registered_on = max(original.registered_on, min(today, original.registered_on
                                                        + timedelta(days=30)))
        if position == 0:
            registration.register_adjustment(
                contract_number, kind=RegistrationKind.CANCELLATION, contract_delta_fen=0,
                technical_delta_fen=0, source=RegistrationSource.IMPORT,
                registered_on=registered_on, actor=actor, note="合同解除")
            continue
        # a supplementary agreement raising (or trimming) the amounts by up to 20%
        factor = rng.uniform(-0.1, 0.2)
        contract_delta = int(original.contract_amount_fen * factor) // 100 * 100
        technical_delta = int(original.technical_amount_fen * factor) // 100 * 100
        try:
            registration.register_adjustment(
                contract_number, kind=RegistrationKind.AMENDMENT,
                contract_delta_fen=contract_delta, technical_delta_fen=technical_delta,
                source=RegistrationSource.IMPORT, registered_on=registered_on, actor=actor,
                note="补充协议变更合同成交额")
        except registration.RegistrationAmountsInvalid:
            continue
