"""Assessments: the instrument, scoring, recording (each new one supersedes the last, none
ever changes) and the history of a case."""
