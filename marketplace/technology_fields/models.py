"""The technology fields' table (技术领域)."""
from marketplace.core.reference_rows import CodedReferenceRow
from marketplace.extensions import db


class TechnologyField(CodedReferenceRow, db.Model):
    """A technology field (技术领域) of the national technology-contract registration
    system. Kept by the admin; codes are fixed at creation (registrations, contracts,
    quotes, imports and the exchange's listings refer to them), a field no longer used is
    switched off rather than deleted."""
    __tablename__ = "technology_fields"
    CODE_LENGTH = 40
