"""Retention of personal data: blocking, erasure, the admin read of blocked data (issue 14)."""
