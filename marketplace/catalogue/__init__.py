"""The offering catalogue: agencies' service offerings, Chinese full-text search,
moderation and scorecards."""
