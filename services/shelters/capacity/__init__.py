"""Availability (free beds for a period, and whether a party fits) and capacity (occupancy
now and the 14-day forecast), read-only over the registry and the placements."""
