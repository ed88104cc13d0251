"""The audit log of shelters: who was shown which shelter's address and contact, and when
(append-only in the database; never the address or the contact themselves), and its
listing for admins (``GET /audit``)."""
