"""The expert pool as it grows: applications to join, the yearly target of experts from outside the province, and each expert's yearly assessment."""
