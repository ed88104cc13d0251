"""The case timeline: every step of a case across risk, shelters and funds, in causal order."""
