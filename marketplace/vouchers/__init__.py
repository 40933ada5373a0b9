"""Voucher programmes, applications, vouchers and their budget."""
