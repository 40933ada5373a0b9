"""Redemption claims (兑付申请): the voucher part of an accepted order, checked and
reviewed before the bureau pays the agency."""
