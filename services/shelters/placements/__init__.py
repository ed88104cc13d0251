"""Placements: a request for beds, the hold that keeps them for the whole party (or the
waitlist), confirm, check-in, check-out, cancel, hold expiry, and the relocation chain."""
