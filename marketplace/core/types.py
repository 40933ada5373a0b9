"""Column types shared by every domain."""
from datetime import timezone

from sqlalchemy import DateTime, Enum
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Stores aware datetimes as UTC and always returns them aware.

    SQLite has no time zones; without this the same column would come back naive there
    and aware on PostgreSQL, and comparisons would break on one of them.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def enum_column(enum_class, **kwargs):
    """Enum stored by value, as a CHECK-constrained string (portable, readable in SQL)."""
    return Enum(enum_class, native_enum=False, length=32, validate_strings=True,
                values_callable=lambda members: [member.value for member in members],
                create_constraint=True, **kwargs)
