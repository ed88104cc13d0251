"""Consents: what a defender agreed to share, per purpose (shelters, funds, statistics,
contact), from a day, maybe until a day, revocable; announced to shelters and funds."""
