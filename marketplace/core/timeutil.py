from datetime import datetime, timezone


def now_utc():
    """The current time as an aware UTC datetime (callable default for timestamp columns)."""
    return datetime.now(timezone.utc)
