"""Paying approved grants in tranches, once per Idempotency-Key."""
