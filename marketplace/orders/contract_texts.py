"""The wording of the contract document per contract type, after the structure of the
national model technology contracts (科学技术部《技术合同示范文本》): the parties' roles, the
subject, the deliverables, the schedule, price and payment, acceptance, the type's own
clause (ownership of results, the licence, the consultant's and the service's duties),
registration, liability and disputes. The document is a Chinese legal text: it is written
in Chinese whatever the reader's language."""
from dataclasses import dataclass

from marketplace.orders.models import ContractType


@dataclass(frozen=True)
class TypeText:
    title: str
    buyer_role: str
    seller_role: str
    subject: str           # heading of article 1
    deliverables: str      # heading of article 2
    schedule: str          # heading of article 3
    own_clause: tuple      # (heading, text) of the type's own article


TYPE_TEXTS = {
    ContractType.DEVELOPMENT: TypeText(
        "技术开发（委托）合同", "委托方（甲方）", "受托方（乙方）",
        "研究开发项目的要求", "研究开发成果交付的形式及数量", "研究开发计划与履行期限",
        ("技术成果的归属与分享",
         "委托开发完成的发明创造，除本合同另有约定外，申请专利的权利属于乙方；乙方取得专利权的，"
         "甲方可以依法实施该专利。技术秘密成果的使用权、转让权及收益分配，由双方另行书面约定；"
         "没有约定的，双方均有使用和转让的权利。")),
    ContractType.TRANSFER: TypeText(
        "技术转让合同", "受让方（甲方）", "让与方（乙方）",
        "转让的技术内容", "技术资料的交付内容、形式及数量", "技术资料交付与履行期限",
        ("权利保证与后续改进",
         "乙方保证其为所转让技术的合法拥有者，且所转让技术完整、无误、有效，能够达到本合同约定的"
         "目标。后续改进的技术成果，属于完成改进的一方；双方另有约定的，从其约定。")),
    ContractType.LICENSING: TypeText(
        "技术许可合同", "被许可方（甲方）", "许可方（乙方）",
        "许可实施的技术内容", "技术资料的交付内容、形式及数量", "许可期限与履行期限",
        ("许可的范围与保证",
         "乙方许可甲方在本合同约定的范围、期限内实施所许可的技术；甲方不得超出约定的范围实施，"
         "也不得许可本合同以外的第三方实施。乙方保证其有权许可，且所许可技术完整、无误、有效。")),
    ContractType.CONSULTING: TypeText(
        "技术咨询合同", "委托方（甲方）", "受托方（乙方）",
        "咨询的项目、内容和要求", "咨询报告及成果交付的形式", "咨询工作的进度与履行期限",
        ("咨询意见的采纳",
         "乙方应当按照约定的期限完成咨询报告或者解答问题，提出的咨询报告应当达到约定的要求。"
         "甲方按照乙方符合约定要求的咨询报告和意见作出决策所造成的损失，由甲方承担，"
         "但双方另有约定的除外。")),
    ContractType.SERVICE: TypeText(
        "技术服务合同", "委托方（甲方）", "受托方（乙方）",
        "服务的内容、方式和要求", "服务成果交付的形式及数量", "服务的进度与履行期限",
        ("工作条件与协作",
         "甲方应当按照约定提供工作条件，完成配合事项；乙方应当按照约定完成服务项目，解决技术问题，"
         "保证工作质量，并传授解决技术问题的知识。")),
}

PAYMENT_WITH_VOUCHER = (
    "科创券支付部分由南昌市科学技术局在乙方交付成果、甲方验收并经兑付申请审核通过后直接拨付乙方；"
    "甲方自付部分由甲方通过平台支付，平台在甲方验收后结算给乙方。乙方不得以任何形式向甲方退还、"
    "返还或减免自付部分。")
PAYMENT_WITHOUT_VOUCHER = (
    "本合同不使用科创券：合同价款全部由甲方通过平台支付，平台在甲方验收后结算给乙方。")
ACCEPTANCE = (
    "乙方在平台上交付成果并提交发票，甲方在平台上验收或者提出异议；双方的交付、验收和异议记录"
    "以平台为准。验收通过后，使用科创券的，由平台为甲方生成兑付申请。")
LIABILITY = (
    "任何一方违反本合同约定的，应当承担继续履行、采取补救措施或者赔偿损失等违约责任。因本合同"
    "发生的争议，双方应当协商解决；协商不成的，依法向有管辖权的人民法院提起诉讼。")
OTHER = (
    "本合同由甲方在洪城科创券平台上接受乙方报价签订，自签订之日起生效。本文件由平台生成，"
    "其内容以平台记录为准；任何人可扫描下方二维码或访问核验地址，凭验证码核验本合同是否登记及"
    "其主要数据。")
REGISTRATION = "本合同的技术领域为「{field}」，由平台按乙方所在地办理技术合同认定登记。"
