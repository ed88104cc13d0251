"""The grants report: granted and paid by country, purpose and month; times to decide and pay."""
