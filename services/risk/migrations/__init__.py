"""SQL migrations of the risk service (a package only so that a wheel ships the .sql files)."""
