"""In-app inbox and e-mail. Everything is queued through the outbox and sent after commit."""
