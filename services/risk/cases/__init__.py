"""Cases: intake, the audited read of her personal data, closing, the lists, and the cases
due for a new assessment."""
