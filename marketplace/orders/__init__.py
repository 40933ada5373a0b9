"""Orders, quotes, technology contracts, co-pay, delivery, acceptance and cancellation."""
