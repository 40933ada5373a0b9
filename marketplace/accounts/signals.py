"""What the accounts domain announces, for the domains above it to act on (blinker, as in
marketplace/orders/signals.py). Receivers run in the sender's transaction: they flush,
never commit, and leave later work to the outbox."""
from blinker import Namespace

_signals = Namespace()

organisation_changed = _signals.signal("organisation-changed", doc="""
An organisation's regulated facts changed: a new version replaced an earlier one (not
sent for its first). Sender: the ``Organisation``; ``version``: the new
``OrganisationVersion``. The claims domain checks the party's open claims again.
""")

# --- what people are told: the notifications domain mails it through the outbox after
# commit, queued in the step's transaction (a rollback sends nothing). Those whose mail a
# page promises ("a link is on its way") are sent with core.signals.send_heard().

signin_link_made = _signals.signal("signin-link-made", doc="""
A one-time sign-in link was made for an account whose sign-in is throttled but whose
password was right. Sender: the ``User``; ``link``: the link; ``minutes``: how long it
works.
""")

organisation_registered = _signals.signal("organisation-registered", doc="""
A firm or agency registered; its owner has no password yet. Sender: the owner (``User``);
``password_link``: where the owner chooses one (mailed: opening it proves they hold the
address); ``home_link``: their home page.
""")

registration_attempted = _signals.signal("registration-attempted", doc="""
Someone registered with an address that has an account; the page answered as for a new
one. Sender: the account's ``User``; ``login_link``, ``forgot_link``; ``locale``: the
page's language, for an account that chose none.
""")

password_reset_requested = _signals.signal("password-reset-requested", doc="""
An active account's password reset was asked for. Sender: the ``User``; ``link``: the
reset link.
""")

member_invited = _signals.signal("member-invited", doc="""
An owner invited someone (who has no account yet) to join their organisation. Sender: the
``Invitation``; ``inviter``: the owner; ``link``: where the account is created.
""")

member_joined = _signals.signal("member-joined", doc="""
An invited person created their account and joined the organisation. Sender: the new
``User``; ``invitation``: the accepted ``Invitation``.
""")

# --- pages

identity_queue_opened = _signals.signal("identity-queue-opened", doc="""
An auditor who decides identity changes opened the queue of pending ones. Sender: the
``User``. The notifications domain marks the queue's counting notice read.
""")

profile_page = _signals.signal("profile-page", doc="""
The profile page is being drawn. Sender: the ``User``. A receiver answers with a section
of the page (HTML) it draws: the notifications domain, the e-mail preferences.
""")
