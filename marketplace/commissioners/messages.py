"""What commissioners, the firms they serve and the bureau are told (inbox and e-mail)."""
from flask_babel import lazy_gettext as _l

from marketplace.notifications.messages import register_templates

register_templates(notifications={
    "commissioner_submitted": (
        _l("Commissioner application received"),
        _l("Your application to be a science and technology commissioner (%(field)s) is "
           "with the bureau."),
    ),
    "commissioner_to_review": (   # coalesced: one unread notice for the queue
        _l("Commissioner applications waiting for review: %(count)s new"),
        _l("Applications to be a science and technology commissioner received since you "
           "last read this notice or opened the queue: %(count)s. The latest is from "
           "%(name)s."),
    ),
    "commissioner_notice_opened": (
        _l("Your commissioner application is on public notice"),
        _l("The bureau approved your application. It is on public notice until "
           "%(notice_ends)s; if no objection is upheld, you are recognised then."),
    ),
    "commissioner_returned": (
        _l("Your commissioner application needs correction"),
        _l("The bureau returned your application: %(reason)s. Correct it and submit it "
           "again."),
    ),
    "commissioner_rejected": (
        _l("Your commissioner application is rejected"),
        _l("Your application is rejected. Reason: %(reason)s"),
    ),
    "commissioner_recognised": (
        _l("You are recognised as a science and technology commissioner"),
        _l("You are in the public directory until %(until)s. Accept the firms that ask "
           "for you and log every service you give."),
    ),
    "commissioner_renewed": (
        _l("Your recognition as a commissioner is renewed"),
        _l("After the year's assessment your recognition runs until %(until)s."),
    ),
    "commissioner_withdrawn": (
        _l("Your recognition as a commissioner is withdrawn"),
        _l("You are no longer in the directory. Reason: %(reason)s"),
    ),
    "commissioner_objection_filed": (
        _l("An objection to a commissioner's recognition"),
        _l("Someone objected to the recognition of %(name)s. Resolve it before the "
           "recognition can take effect."),
    ),
    "commissioner_objection_resolved": (
        _l("Your objection is settled"),
        _l("Your objection to the recognition of %(name)s is %(status)s: %(resolution)s"),
    ),
    "commissioner_pairing_requested": (
        _l("%(firm)s asks you to serve it"),
        _l("%(firm)s asks to be paired with you: %(note)s. Accept or decline on your "
           "commissioner page."),
    ),
    "commissioner_pairing_changed": (
        _l("Pairing with %(commissioner)s: %(status)s"),
        _l("The pairing of %(commissioner)s with %(served)s is now %(status)s."),
    ),
    "commissioner_service_logged": (
        _l("Please confirm a service of %(commissioner)s"),
        _l("%(commissioner)s logged a service on %(date)s: %(work)s. Confirm it, or "
           "dispute it if it is not right."),
    ),
    "commissioner_service_answered": (
        _l("Your service of %(date)s is %(status)s"),
        _l("%(served)s answered your service of %(date)s: %(status)s. %(reason)s"),
    ),
    "commissioner_reminder_silent": (
        _l("Reminder: no service logged for %(days)s days"),
        _l("You have logged no service since %(since)s. Log each service you give to the "
           "firms, villages and parks you serve; the year asks for %(required)s confirmed "
           "services."),
    ),
    "commissioner_reminder_behind": (
        _l("Reminder: your services are behind the year's minimum"),
        _l("%(confirmed)s services are confirmed so far this year; the minimum's pace asks "
           "for %(expected)s by now (%(required)s in the year, to at least %(served)s "
           "firms, villages or parks)."),
    ),
    "commissioner_assessed": (
        _l("Your %(year)s assessment: %(grade)s"),
        _l("The bureau confirmed your %(year)s assessment: %(grade)s (%(confirmed)s "
           "confirmed services to %(served)s served)."),
    ),
}, coalesced=("commissioner_to_review",))
