"""Demo data for `make run` and the browser journeys."""
