"""A shelter reported compromised: it takes nobody, and everyone in it is relocated."""
