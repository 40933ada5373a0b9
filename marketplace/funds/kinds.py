"""The kinds of ledger transaction the platform posts (``ledger_transactions.kind``).

Each movement of money is one of these, posted only by a verb of this package.
"""
# the budget
FUNDING = "programme_funding"          # funding → pool (a programme created or raised)
DEFUNDING = "programme_defunding"      # pool → funding (a budget lowered)
ISSUE = "voucher_issue"                # pool → voucher available
EXPIRY = "voucher_expiry"              # voucher available → pool (expired, or released
#                                        onto a voucher that is no longer active)
REVOKE = "voucher_revoke"              # voucher available → pool (revoked)
RESERVE = "voucher_reserve"            # available → reserved (a contract signed)
RELEASE = "voucher_release"            # reserved → available (cancelled, rejected, voided)
# the voucher part of a claim
CLAIM_APPROVAL = "claim_approval"      # reserved → agency payable
CLAWBACK = "claim_clawback"            # agency payable (or recoveries owed) → reserved
DISBURSEMENT = "claim_disbursement"    # agency payable → agency paid
CLAIM_RECOVERY_DUE = "claim_recovery_due"   # agency paid → recoveries owed (a claim
#                                             voided after it was paid out)
# the co-pay
COPAY_RECEIVED = "copay_received"      # gateway → order co-pay held
COPAY_SETTLE = "copay_release"         # co-pay held → agency co-pay payable (acceptance)
COPAY_REFUND = "copay_refund"          # held or agency co-pay payable → gateway
COPAY_PAYOUT = "copay_payout"          # agency co-pay payable → agency paid
COPAY_RECOVERY_DUE = "copay_recovery_due"   # agency paid → recoveries owed, with
#                                             advances → gateway (refunded after payout)
COPAY_PAID_AT_BANK = "copay_paid_at_bank"   # advances → recoveries owed: the bank paid a
#                                             co-pay line the firm had been refunded after
#                                             the bank file went out
UNALLOCATED_RECEIVED = "gateway_unallocated_received"  # gateway → unallocated
UNALLOCATED_REFUND = "gateway_unallocated_refund"      # unallocated → gateway
# recoveries
RECOVERY_COLLECTED = "recovery_collected"   # recoveries owed → reserved (voucher part)
#                                             or → advances (co-pay)

# kinds that happen at most once for the object they refer to
ONCE_PER_REFERENCE = ((CLAIM_APPROVAL, "claim"), (DISBURSEMENT, "claim"),
                      (CLAWBACK, "claim"), (CLAIM_RECOVERY_DUE, "claim"),
                      (COPAY_RECEIVED, "payment"), (UNALLOCATED_RECEIVED, "payment"))
