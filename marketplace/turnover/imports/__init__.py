"""Importing the registration system's export files (CSV or XLSX)."""
