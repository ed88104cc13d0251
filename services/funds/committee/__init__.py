"""The fund committee: votes, recusals, the tally, approval and rejection, and the
ratification of emergency approvals."""
