"""Shelters, their rooms and beds, out-of-service periods, closing and reopening.
Addresses and contacts are stored encrypted and shown only to coordinators."""
