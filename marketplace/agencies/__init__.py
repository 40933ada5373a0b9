"""The registry of technology-transfer service agencies and their offerings."""
