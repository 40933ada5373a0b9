"""Cross-domain building blocks: time, money, errors, audit log, outbox, permissions, states."""
