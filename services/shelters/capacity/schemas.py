"""Response bodies of availability and capacity."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec


class ShelterAvailability(msgspec.Struct, kw_only=True):
    shelter_id: uuid.UUID
    code: str
    kind: str
    country: str
    region: str | None
    accessible: bool
    beds: int
    free: int
    free_regular: int
    free_child: int
    free_accessible: int
    fits_party: bool
    country_name: str | None = None
    region_name: str | None = None


class CountryAvailability(msgspec.Struct, kw_only=True):
    country: str
    shelters: int
    beds: int
    free: int
    shelters_fitting_party: int
    country_name: str | None = None


class Availability(msgspec.Struct, kw_only=True):
    start: datetime
    end: datetime
    party_size: int
    shelters: list[ShelterAvailability]
    countries: list[CountryAvailability]


class DayForecast(msgspec.Struct, kw_only=True):
    day: int
    at: datetime
    free: int


class ShelterCapacity(msgspec.Struct, kw_only=True):
    shelter_id: uuid.UUID
    code: str
    country: str
    region: str | None
    status: str
    beds: int
    occupied: int
    held: int
    out_of_service: int
    free: int
    forecast: list[DayForecast]
    country_name: str | None = None
    region_name: str | None = None


class CountryCapacity(msgspec.Struct, kw_only=True):
    country: str
    beds: int
    occupied: int
    held: int
    out_of_service: int
    free: int
    forecast: list[DayForecast]
    country_name: str | None = None


class Capacity(msgspec.Struct, kw_only=True):
    at: datetime
    shelters: list[ShelterCapacity]
    countries: list[CountryCapacity]
