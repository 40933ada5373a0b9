"""The product's vocabulary: for each term of the bureau's glossary of the domain, the one
Chinese and the one English word every page, mail, export and API message uses, and the
variants that were seen on screens and are refused (科创券 and 创新券, 兑付申请 and 申领,
复核员 and 主管 were all in use at once).

Data, not behaviour: the translation catalogues carry the words; this table is what the
vocabulary tests (tests/integration/test_vocabulary.py, tests/unit/test_glossary.py) hold
the catalogues and the rendered pages to. A rejected variant is a regular expression,
because some refused words are fine inside a longer one (主管部门, the competent
department, is not 主管 the role).
"""
import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Term:
    key: str                      # the name in code (domain.md's third column), or a slug
    zh: str
    en: str
    rejected_zh: tuple = ()       # regular expressions of refused Chinese variants
    rejected_en: tuple = ()       # regular expressions of refused English variants
    note: str = ""
    also_zh: tuple = field(default=())   # accepted short or compound forms


GLOSSARY = (
    Term("Voucher", "科创券", "innovation voucher",
         rejected_zh=(r"创新券", r"科技券", r"创新劵", r"科创劵"),
         rejected_en=(r"(?i)\bcoupons?\b",),
         also_zh=("洪城科创券",),
         note="洪城科创券 in full; never 创新券."),
    Term("Programme", "科创券计划", "voucher programme",
         rejected_zh=(r"科创券项目", r"项目预算"),
         also_zh=("申报批次", "计划")),
    Term("VoucherApplication", "科创券申请", "voucher application",
         rejected_zh=(r"申领",),
         note="A firm applies (申请) for a voucher; 申领 was used for both this and the "
              "redemption claim, so it is used for neither."),
    Term("Claim", "兑付申请", "redemption claim",
         rejected_zh=(r"申领", r"兑现申请", r"报销申请", r"兑付申领"),
         rejected_en=(r"(?i)\breimbursement (?:claim|request)s?\b",
                      r"(?i)\bredemption requests?\b"),
         note="The claim of the voucher part after accepted delivery."),
    Term("auditor", "审核员", "auditor",
         rejected_zh=(r"审批员", r"初审员"),
         note="First-stage review."),
    Term("supervisor", "复核员", "supervisor",
         rejected_zh=(r"主管(?!部门)", r"复核人(?!员)", r"审批主管"),
         note="Final approval (复核). 主管部门 (the competent department) is another word."),
    Term("Firm", "企业", "firm"),
    Term("FirmTier", "科技型中小企业", "tech SME",
         rejected_en=(r"(?i)\btechnology-based SMEs?\b",),
         note="The tiers: tech SME / high-tech enterprise / benchmark high-tech enterprise "
              "(科技型中小企业 / 高新技术企业 / 标杆型高新技术企业)."),
    Term("Agency", "技术转移服务机构", "service agency", also_zh=("服务机构",)),
    Term("Offering", "服务产品", "offering"),
    Term("ServiceCategory", "服务类别", "service category"),
    Term("Order", "委托", "order", also_zh=("订单",)),
    Term("Quote", "报价", "quote"),
    Term("TechContract", "技术合同", "technology contract"),
    Term("contract_amount_fen", "成交额", "contract amount", also_zh=("合同成交额",),
         rejected_zh=(r"合同金额",)),
    Term("technical_amount_fen", "技术交易额", "technical transaction amount"),
    Term("ContractRegistration", "技术合同认定登记", "technology-contract registration"),
    Term("copay_fen", "自付部分", "co-pay"),
    Term("acceptance", "验收", "acceptance of delivery"),
    Term("Expert", "专家库", "expert pool"),
    Term("uscc", "统一社会信用代码", "unified social credit code"),
    Term("Commissioner", "科技特派员", "science and technology commissioner"),
    Term("IntegrityListEntry", "失信名单", "integrity list"),
    Term("cnaps", "联行号", "CNAPS code"),
    Term("Incentive", "技术合同登记奖补", "reward for registering technology contracts"),
    Term("makeup_day", "调休", "make-up working day", also_zh=("调休上班",)),
)

TERMS = {term.key: term for term in GLOSSARY}


@dataclass(frozen=True)
class Finding:
    term: Term
    found: str
    context: str


def _patterns(locale):
    compiled = []
    for term in GLOSSARY:
        for pattern in (term.rejected_zh if locale == "zh" else term.rejected_en):
            compiled.append((term, re.compile(pattern)))
    return compiled


def rejected_terms(text, locale):
    """The refused variants in ``text`` (``locale`` "zh" or "en"), each once with a little
    of the text around it, so a failing test says where."""
    findings, seen = [], set()
    for term, pattern in _patterns(locale):
        for match in pattern.finditer(text):
            if (match.group(0), match.start()) in seen:
                continue
            seen.add((match.group(0), match.start()))
            start, end = max(0, match.start() - 20), min(len(text), match.end() + 20)
            findings.append(Finding(term, match.group(0), text[start:end]))
    return findings
