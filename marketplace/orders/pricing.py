"""How a contract amount splits into the voucher part and the firm's co-pay."""
from dataclasses import dataclass

from marketplace.core.money import share_of


@dataclass(frozen=True)
class Split:
    share_bp: int
    voucher_part_fen: int
    copay_fen: int
    limited_by: str   # "share", "balance" or "single_order_max": which bound decided


def split_contract(contract_amount_fen, *, share_bp, available_fen, single_order_max_fen):
    """voucher part = min(share × contract amount, available balance, single-order
    maximum), never negative; the rest is the co-pay."""
    bounds = {"share": share_of(contract_amount_fen, share_bp),
              "balance": max(int(available_fen), 0),
              "single_order_max": max(int(single_order_max_fen), 0)}
    limited_by = min(bounds, key=lambda name: (bounds[name], name != "share"))
    voucher_part = bounds[limited_by]
    return Split(share_bp=share_bp, voucher_part_fen=voucher_part,
                 copay_fen=contract_amount_fen - voucher_part, limited_by=limited_by)
