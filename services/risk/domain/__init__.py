"""Pure rules of the risk service: no I/O, no database, no HTTP, so hypothesis drives each
one directly (tests/risk/unit).

- ``vocabulary``: the codes of cases and of the registry of attacks;
- ``instrument``: the instrument as data and the checks a file must pass;
- ``scoring``: answers -> scores, level and measures; excluded regions;
- ``reassessment``: when an open case needs a new assessment;
- ``timeline``: summaries of every event, and the causal order of a case's steps;
- ``statistics``: the shares of a regional report;
- ``consent``: the purposes her consents cover at a time, and what is withheld without them.
"""
