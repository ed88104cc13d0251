"""The registry of attacks: incidents without names, and the counts of a regional report."""
