"""The reward list as an XLSX workbook (the turnover exports' writer): the lines with their
basis, then the excluded contracts with their reason."""
import io

from flask_babel import gettext as _

from marketplace.core.labels import label
from marketplace.extensions import db
from marketplace.incentives import services
from marketplace.turnover.dashboard.exports import tables_xlsx
from marketplace.turnover.dashboard.tables import Column, Table


def beneficiary(line, locale):
    if line.district is not None:
        return _("Registration office of %(district)s",
                 district=line.district.display_name(locale))
    return line.beneficiary_name


def lines_table(reward_list, locale):
    lines = db.session.execute(services.lines_query(reward_list.id)).scalars().all()
    rows = [[label(line.role), beneficiary(line, locale),
             line.organisation_id or "", line.contracts,
             line.registrations, line.basis_fen, line.computed_fen, line.cap_fen,
             line.amount_fen] for line in lines]
    return Table("lines", _("Rewards %(year)s", year=reward_list.year), [
        Column(_("Role")), Column(_("Beneficiary")), Column(_("Organisation id")),
        Column(_("Contracts"), "int"), Column(_("Registrations"), "int"),
        Column(_("Technical transaction amount"), "fen"), Column(_("Computed"), "fen"),
        Column(_("Cap"), "fen"), Column(_("Reward"), "fen")], rows,
        total=[_("Total"), "", "", "", "", None, None, None, reward_list.total_fen])


def exclusions_table(reward_list):
    exclusions = db.session.execute(services.exclusions_query(reward_list.id)).scalars().all()
    rows = [[item.contract_number, label(item.reason), item.seller_name, item.buyer_name,
             item.technical_amount_fen,
             ", ".join(label(f) for f in item.detail_dict.get("shared", []))]
            for item in exclusions]
    return Table("exclusions", _("Excluded contracts"), [
        Column(_("Contract number")), Column(_("Reason")), Column(_("Seller")),
        Column(_("Buyer")), Column(_("Technical transaction amount"), "fen"),
        Column(_("Shared facts"))], rows)


def reward_list_xlsx(reward_list, locale):
    stream = tables_xlsx([lines_table(reward_list, locale), exclusions_table(reward_list)],
                         io.BytesIO())
    return stream.getvalue()
