"""The contract registry: registering, reviewing and reading technology contracts."""
