"""Grant applications: the read model, opening by hand or from a risk assessment,
assigning a fund, closing (by hand, or when the case is closed)."""
