"""Fund administration: funds, grant policies, committee membership, deposits and the
append-only ledger every movement of money is written to."""
