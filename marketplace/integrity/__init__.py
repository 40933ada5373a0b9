"""Integrity of the parties: comparison keys as an investigator writes them, the keyed
hash of identity numbers, the bureau's barred list (失信名单) and the certification lists
that give a firm its tier."""
