"""The words of the platform's own notification and e-mail kinds (other domains register
theirs through :func:`marketplace.notifications.messages.register_templates`)."""
from flask_babel import lazy_gettext as _l

# kind -> (subject, body); bodies are format strings over the notification's params.
MAIL_TEMPLATES = {
    "password_reset": (
        _l("Reset your password"),
        _l("Hello %(name)s,\n\nSomeone asked to reset the password of your account on the "
           "Hongcheng innovation voucher platform. Open this link within one hour to choose "
           "a new password:\n\n%(link)s\n\nIf it was not you, ignore this message; your "
           "password stays as it is."),
    ),
    "registration_link": (
        _l("Choose your password"),
        _l("Hello %(name)s,\n\n%(organisation)s is registered on the Hongcheng innovation "
           "voucher platform with this e-mail address. Open this link within one hour to "
           "choose your password and sign in:\n\n%(link)s\n\nIf the link has expired, ask "
           "for a new one with \"Forgot your password?\" on the sign-in page. If you did "
           "not register, ignore this message."),
    ),
    "registration_attempt": (
        _l("Someone tried to register with your address"),
        _l("Hello %(name)s,\n\nSomeone tried to register a new organisation on the Hongcheng "
           "innovation voucher platform with this e-mail address, which already has an "
           "account. If it was you, sign in here:\n\n%(login)s\n\nIf you have forgotten "
           "your password, choose a new one here:\n\n%(forgot)s\n\nIf it was not you, you "
           "need not do anything: nothing was changed."),
    ),
    "signin_link": (
        _l("Your sign-in link"),
        _l("Hello %(name)s,\n\nThere were many failed attempts to sign in to your account "
           "on the Hongcheng innovation voucher platform, then one with the right password. "
           "If that was you, open this link within %(minutes)s minutes to sign in (it works "
           "once):\n\n%(link)s\n\nIf it was not you, someone knows your password: change "
           "it after you sign in."),
    ),
    "audit_checkpoint": (
        _l("Audit log checkpoint %(checkpoint)s: %(sequence)s records"),
        _l("The platform's audit log had %(sequence)s records at %(time)s (UTC). The hash "
           "of record %(sequence)s was:\n\n%(head_hash)s\n\nKeep this message. Anyone "
           "who deletes or rewrites audit records up to that one cannot make the log match "
           "this hash again: the command\n\n    flask audit verify --checkpoint "
           "%(sequence)s:%(head_hash)s\n\nchecks the log against it. The same figures "
           "are on the public transparency page."),
    ),
    "invitation": (
        _l("You are invited to join %(organisation)s"),
        _l("%(inviter)s invites you to join %(organisation)s on the Hongcheng innovation "
           "voucher platform. Open this link to create your account:\n\n%(link)s\n\nThe "
           "link is valid for 7 days."),
    ),
}

NOTIFICATION_TEMPLATES = {
    "identity_change_approved": (
        _l("The change of %(organisation)s's facts is approved"),
        _l("The auditor approved change request #%(request)s: its facts are version "
           "%(version)s from now on. %(comment)s"),
    ),
    "identity_change_rejected": (
        _l("The change of %(organisation)s's facts is rejected"),
        _l("The auditor rejected change request #%(request)s: %(comment)s"),
    ),
    "identity_change_to_review": (
        _l("Changes of organisations' facts to review: %(count)s new"),
        _l("Organisations asked to change their regulated facts since you last read this "
           "notice: %(count)s. The latest is from %(organisation)s."),
    ),
    "welcome": (
        _l("Welcome to the Hongcheng innovation voucher platform"),
        _l("Your organisation %(organisation)s is registered. Your home page shows what to "
           "do next."),
    ),
    "member_joined": (
        _l("A new member joined"),
        _l("%(name)s joined %(organisation)s."),
    ),
    "application_received": (
        _l("Voucher application received"),
        _l("Your application to %(programme)s for %(amount)s is with the bureau's "
           "auditors."),
    ),
    "application_to_review": (   # coalesced: one unread notice per programme
        _l("Voucher applications waiting for review in %(programme)s: %(count)s new"),
        _l("Voucher applications received in %(programme)s since you last read this "
           "notice or opened the queue: %(count)s. The latest is from %(firm)s for "
           "%(amount)s."),
    ),
    "application_approved": (
        _l("Your voucher is issued"),
        _l("Your application to %(programme)s is approved: a voucher of %(amount)s is "
           "issued, valid until %(expires_on)s."),
    ),
    "application_rejected": (
        _l("Your voucher application is rejected"),
        _l("Your application to %(programme)s is rejected. Reason: %(comment)s"),
    ),
    "application_returned": (
        _l("Your voucher application needs correction"),
        _l("The auditor returned your application to %(programme)s: %(comment)s. Correct "
           "it and submit it again."),
    ),
    "voucher_expiring": (
        _l("Your voucher expires in %(days)s days"),
        _l("Your innovation voucher expires on %(expires_on)s with %(available)s still "
           "available. Unspent value returns to the programme."),
    ),
    # the agency registry
    "agency_submitted": (
        _l("Registry application submitted"),
        _l("The application of %(agency)s to the registry of technology-transfer agencies "
           "is with the bureau's auditors."),
    ),
    "agency_to_review": (   # coalesced: one unread notice for the admission queue
        _l("Agency applications waiting for admission review: %(count)s new"),
        _l("Applications to join the registry received since you last read this notice "
           "or opened the queue: %(count)s. The latest is from %(agency)s."),
    ),
    "agency_notice_opened": (
        _l("Your registry application is approved and on public notice"),
        _l("The auditor approved the application of %(agency)s. It is on public notice "
           "until %(notice_ends)s; if no objection is upheld, admission takes effect then."),
    ),
    "agency_rejected": (
        _l("Your registry application is rejected"),
        _l("The application of %(agency)s is rejected. Reason: %(reason)s"),
    ),
    "agency_returned": (
        _l("Your registry application needs correction"),
        _l("The auditor returned the application of %(agency)s: %(reason)s. Correct it and "
           "submit it again."),
    ),
    "agency_admitted": (
        _l("Admitted to the registry"),
        _l("%(agency)s is admitted to the registry of technology-transfer agencies. You can "
           "now publish offerings."),
    ),
    "agency_suspended": (
        _l("Your agency is suspended"),
        _l("%(agency)s is suspended from the registry; its offerings are hidden. Reason: "
           "%(reason)s"),
    ),
    "agency_reinstated": (
        _l("Your agency is reinstated"),
        _l("%(agency)s is active in the registry again; its offerings are visible."),
    ),
    "agency_removed": (
        _l("Your agency is removed from the registry"),
        _l("%(agency)s is removed from the registry. Reason: %(reason)s"),
    ),
    "agency_objection_filed": (
        _l("An objection was filed during a public notice"),
        _l("Someone objected to the admission of %(agency)s. Resolve it before the "
           "admission can take effect."),
    ),
    "agency_objection_received": (
        _l("An objection to your admission"),
        _l("An objection was filed against the admission of %(agency)s. The bureau will "
           "look into it and may contact you."),
    ),
    "objection_upheld": (
        _l("Your objection is upheld"),
        _l("Your objection to the admission of %(agency)s is upheld: %(resolution)s"),
    ),
    "objection_dismissed": (
        _l("Your objection is dismissed"),
        _l("Your objection to the admission of %(agency)s is dismissed: %(resolution)s"),
    ),
    "document_expiring": (
        _l("A qualification document expires soon"),
        _l("Your document \"%(title)s\" expires on %(expires_on)s. Upload a current one "
           "before then, or the agency will be suspended."),
    ),
    "offering_taken_down": (
        _l("An offering was taken down"),
        _l("The bureau took down your offering \"%(title)s\": %(reason)s. Correct it and "
           "publish it again."),
    ),
    # orders
    "order_requested": (
        _l("New order request #%(order)s"),
        _l("%(firm)s asks for \"%(offering)s\". Send a quote from the order page."),
    ),
    "order_quoted": (
        _l("Quote received for order #%(order)s"),
        _l("%(agency)s quoted %(amount)s for \"%(offering)s\". Accept it to sign the "
           "technology contract."),
    ),
    "order_contracted": (
        _l("Technology contract %(number)s signed"),
        _l("The contract for \"%(offering)s\" is signed: the voucher pays %(voucher_part)s, "
           "the co-pay is %(copay)s."),
    ),
    "order_paid": (
        _l("Co-pay received for order #%(order)s"),
        _l("The firm paid its co-pay of %(copay)s; the platform holds it until acceptance. "
           "You can start the work."),
    ),
    "order_delivered": (
        _l("Order #%(order)s delivered"),
        _l("The agency delivered \"%(offering)s\". Check the deliverables and accept them, "
           "or dispute with a reason."),
    ),
    "order_accepted": (
        _l("Order #%(order)s accepted"),
        _l("The firm accepted the delivery of \"%(offering)s\". The co-pay is released to "
           "your payable and the voucher part goes to the bureau as a claim."),
    ),
    "order_disputed": (
        _l("Order #%(order)s disputed"),
        _l("The firm disputes the delivery of \"%(offering)s\": %(reason)s. An auditor will "
           "mediate."),
    ),
    "order_dispute_to_mediate": (
        _l("A disputed order waits for mediation"),
        _l("Order #%(order)s (\"%(offering)s\") is disputed."),
    ),
    "order_mediated_redeliver": (
        _l("Dispute settled: delivery to be redone"),
        _l("The auditor settled the dispute on order #%(order)s: the agency delivers again."),
    ),
    "order_mediated_accept": (
        _l("Dispute settled: delivery accepted"),
        _l("The auditor settled the dispute on order #%(order)s: the delivery is accepted."),
    ),
    "order_mediated_cancel": (
        _l("Dispute settled: order cancelled"),
        _l("The auditor settled the dispute on order #%(order)s: the order is cancelled."),
    ),
    "order_cancellation_requested": (
        _l("Cancellation requested for order #%(order)s"),
        _l("The other party asks to cancel \"%(offering)s\": %(reason)s. Agree or decline "
           "on the order page."),
    ),
    "order_cancellation_declined": (
        _l("Cancellation declined for order #%(order)s"),
        _l("The request to cancel \"%(offering)s\" was declined; the order goes on."),
    ),
    "order_cancelled": (
        _l("Order #%(order)s cancelled"),
        _l("The order for \"%(offering)s\" is cancelled. Any reserved voucher value is "
           "available again and a paid co-pay is refunded."),
    ),
    "order_flagged": (
        _l("Order #%(order)s needs attention"),
        _l("The agency of \"%(offering)s\" was suspended or removed from the registry. "
           "The order stays as it is until you or the bureau act."),
    ),
    # claims
    "claim_to_review": (
        _l("Claim #%(claim)s waits for your review"),
        _l("The automatic checks of the claim of %(firm)s for %(amount)s are done."),
    ),
    "claim_blocked_to_review": (
        _l("Claim #%(claim)s is blocked by a check"),
        _l("An automatic check blocked the claim of %(firm)s for %(amount)s; see the "
           "evidence on the claim page."),
    ),
    "claim_recheck_found": (
        _l("Claim #%(claim)s: a new check result"),
        _l("The checks of the claim of %(firm)s for %(amount)s ran again after a party's "
           "facts changed or a related contract was found, and found something new; see "
           "the evidence on the claim page."),
    ),
    "claim_to_approve": (
        _l("Claim #%(claim)s waits for final approval"),
        _l("The claim of %(firm)s for %(amount)s passed the first review."),
    ),
    "claim_approved": (
        _l("Claim #%(claim)s approved"),
        _l("The claim for %(amount)s is approved; the bureau pays it in the next "
           "disbursement batch."),
    ),
    "claim_rejected": (
        _l("Claim #%(claim)s rejected"),
        _l("The claim for %(amount)s is rejected; the reserved voucher value is available "
           "again."),
    ),
    "claim_returned": (
        _l("Claim #%(claim)s returned for correction"),
        _l("The reviewer returned the claim for %(amount)s: %(comment)s"),
    ),
    "claim_review_reminder": (
        _l("Reminder: claim #%(claim)s is waiting for you"),
        _l("The claim of %(firm)s for %(amount)s has waited at your stage since %(since)s."),
    ),
    "claim_overdue": (
        _l("Claim #%(claim)s is overdue"),
        _l("The claim has passed its review deadline (%(due_on)s) at stage %(stage)s."),
    ),
    "claim_disbursed": (
        _l("Claim #%(claim)s paid"),
        _l("The bureau paid %(amount)s for claim #%(claim)s."),
    ),
    "expert_invited": (
        _l("You are drawn to review claim #%(claim)s"),
        _l("Accept or decline before %(respond_by)s; once accepted, score the claim on "
           "necessity, price reasonableness and delivery quality."),
    ),
    # the technology exchange
    "exchange_match_proposed": (
        _l("A broker proposes a match: %(result)s"),
        _l("%(broker)s proposes that the result \"%(result)s\" answers the demand "
           "\"%(demand)s\". Accept or decline on the match page."),
    ),
    "exchange_match_accepted": (
        _l("Match #%(match)s accepted by both parties"),
        _l("Both parties accepted to talk about \"%(result)s\" for \"%(demand)s\". The "
           "conversation is open on the match page."),
    ),
    "exchange_match_declined": (
        _l("Match #%(match)s declined"),
        _l("A party declined your proposal of \"%(result)s\" for \"%(demand)s\"."),
    ),
    "exchange_match_withdrawn": (
        _l("Match #%(match)s withdrawn"),
        _l("%(broker)s withdrew the proposal of \"%(result)s\" for \"%(demand)s\"; "
           "nothing more is asked of you."),
    ),
    "exchange_message": (
        _l("New message on match #%(match)s"),
        _l("%(author)s wrote about \"%(result)s\" for \"%(demand)s\"."),
    ),
    "exchange_deal_registered": (
        _l("The deal of match #%(match)s is registered"),
        _l("The technology contract for \"%(result)s\" is registered and counts toward "
           "the city's turnover."),
    ),
    # the technology-contract registry
    "registration_to_review": (   # coalesced: one unread notice for the pending ones
        _l("Contract registrations waiting for confirmation: %(count)s new"),
        _l("Registrations received since you last read this notice or opened the queue: "
           "%(count)s. The latest: "
           "%(registrant)s registered contract %(number)s (technical transaction amount "
           "%(amount)s, or its change for an amendment or a cancellation)."),
    ),
    "registration_confirmed": (
        _l("Contract registration %(number)s confirmed"),
        _l("The auditor confirmed the registration of contract %(number)s; it now counts "
           "toward the city's technology-contract turnover."),
    ),
    "registration_rejected": (
        _l("Contract registration %(number)s rejected"),
        _l("The auditor rejected the registration of contract %(number)s. Reason: "
           "%(reason)s"),
    ),
    "registration_import_done": (
        _l("Import of %(filename)s finished"),
        _l("%(added)s contracts registered; %(skipped)s rows skipped as already "
           "registered."),
    ),
    "payment_refunded_unallocated": (
        _l("A charge that paid for nothing is refunded"),
        _l("The gateway took %(amount)s (PaymentIntent %(intent)s, %(subject)s) for nothing "
           "the platform could apply it to: a second charge of a paid order, or a charge "
           "of a cancelled one. It is refunded automatically; the reconciliation page lists "
           "it."),
    ),
    "payment_reconciliation_differences": (
        _l("The gateway and the books differ: %(count)s findings"),
        _l("The reconciliation with the payment gateway found %(count)s differences. The "
           "reconciliation page lists each, with what was recorded."),
    ),
    "payout_batch_line_removed": (
        _l("A line left disbursement batch #%(batch)s"),
        _l("%(line)s left batch #%(batch)s: %(reason)s. The batch now pays %(total)s in "
           "%(count)s lines and stays payable."),
    ),
    "payout_changed_at_bank": (
        _l("%(line)s changed after batch #%(batch)s went to the bank"),
        _l("%(line)s of batch #%(batch)s changed after its payment file went to the bank "
           "(%(change)s). The batch stays as the bank has it. When the bank answers, what it "
           "paid of this line is owed back by the agency, and what it did not pay is "
           "settled without a payout."),
    ),
    "payout_bank_not_paid": (
        _l("The bank did not pay %(count)s payees of batch #%(batch)s"),
        _l("The bank's answer for batch #%(batch)s: %(payees)s. Their lines are payable "
           "again and can go into the next batch; check each payee's bank details first."),
    ),
    "payout_recovery_owed": (
        _l("%(agency)s owes %(amount)s back"),
        _l("%(amount)s paid out to %(agency)s is owed back (%(reason)s). It is deducted from "
           "the agency's next payout, or recorded when the agency repays it."),
    ),
    "registration_import_refused": (
        _l("Import of %(filename)s refused"),
        _l("Nothing was imported: %(bad)s rows are not valid. The import page names each "
           "row, column and reason."),
    ),
}
