"""Imports every model so Alembic and the app see the whole schema."""
from marketplace.accounts.models import (ApiToken, District, Invitation,  # noqa: F401
                                         Organisation, User)
from marketplace.accounts.version_models import (ChangeRequest,  # noqa: F401
                                                 OrganisationVersion, VersionPerson)
from marketplace.integrity.models import (CertificationEntry,  # noqa: F401
                                          IdentityImportBatch, IntegrityListEntry)
from marketplace.core.audit import AuditRecord  # noqa: F401
from marketplace.core.audit_seal import AuditSealState  # noqa: F401
from marketplace.core.outbox import OutboxMessage  # noqa: F401
from marketplace.notifications.models import (Notification,  # noqa: F401
                                              NotificationPreference,
                                              NotificationSettings, SentMail)
from marketplace.agencies.models import ServiceCategory  # noqa: F401
from marketplace.core.ledger import LedgerAccount, LedgerPosting, LedgerTransaction  # noqa: F401
from marketplace.vouchers.models import (Programme, ProgrammeRuleVersion,  # noqa: F401
                                         Voucher, VoucherApplication)
from marketplace.agencies.models import (AgencyProfile, Objection,  # noqa: F401
                                         QualificationDocument)
from marketplace.catalogue.models import AgencyScorecard, Offering  # noqa: F401
from marketplace.orders.models import (ContractDocument, Delivery, Order,  # noqa: F401
                                       OrderDocument, Quote,
                                       Rating, TechContract)
from marketplace.claims.expert_models import (ExpertConflict, ExpertInvitation,  # noqa: F401
                                              ExpertProfile)
from marketplace.claims.models import (Claim, ClaimCheck, ClaimDecision,  # noqa: F401
                                       BankResult, ClaimOverride, DisbursementBatch,
                                       DisbursementLine)
from marketplace.funds.models import Recovery, RecoveryCollection  # noqa: F401
from marketplace.core.idempotency import IdempotencyKey  # noqa: F401
from marketplace.payments.models import Payment, Reconciliation, WebhookEvent  # noqa: F401
from marketplace.turnover.models import (ContractRegistration,  # noqa: F401
                                         RegistrationImportBatch, TurnoverTarget)
from marketplace.exchange.models import (BrokeredMatch, BrokerProfile,  # noqa: F401
                                         ExchangeMessage, MatchDocument, MatchTerm,
                                         TechDemand, TechResult)
from marketplace.core.job_models import BackgroundJob  # noqa: F401
from marketplace.commissioners.models import (Commissioner, CommissionerAssessment,  # noqa: F401
                                              CommissionerObjection, CommissionerRules,
                                              CommissionerService, Pairing,
                                              ServiceAttachment)
from marketplace.experts.models import (ExpertApplication, ExpertAssessment,  # noqa: F401
                                        PoolSetting)
from marketplace.incentives.models import (IncentiveRules, RewardExclusion,  # noqa: F401
                                           RewardLine, RewardList)
from marketplace.workdays.models import CalendarDay  # noqa: F401
from marketplace.technology_fields.models import TechnologyField  # noqa: F401
