"""Funds' part of the retention of personal data (issue 14)."""
