"""A fund's grant policy: the ceiling per grant, the emergency limit, suggested amounts."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence

from shared.errors import Invalid

# One suggested amount as the policy states it: (purpose, country or None, amount).
Suggestion = tuple[str, str | None, int]


def check_policy(
    ceiling: int, emergency_limit: int, suggested: Sequence[Suggestion], countries: Collection[str]
) -> None:
    """Nothing in a policy exceeds its ceiling, each (purpose, country) is priced once,
    and a country-specific amount is for a country the fund serves."""
    if emergency_limit > ceiling:
        raise Invalid(
            "the emergency limit cannot be above the ceiling per grant", code="policy.emergency_above_ceiling"
        )
    seen: set[tuple[str, str | None]] = set()
    for i, (purpose, country, amount) in enumerate(suggested):
        where = {"field": f"suggested[{i}]"}
        if (purpose, country) in seen:
            raise Invalid(
                "two suggested amounts for the same purpose and country",
                code="policy.suggested_twice",
                extra=where,
            )
        seen.add((purpose, country))
        if amount > ceiling:
            raise Invalid(
                "a suggested amount is above the ceiling per grant",
                code="policy.suggested_above_ceiling",
                extra=where,
            )
        if country is not None and country not in countries:
            raise Invalid(
                "a suggested amount names a country this fund does not serve",
                code="policy.country_not_served",
                extra={**where, "countries": sorted(countries)},
            )


def suggested_amount(suggested: Iterable[Mapping], purpose: str, country: str) -> int:
    """The policy's amount for a purpose in a country; the country-less one otherwise; 0 if none."""
    general = 0
    for item in suggested:
        if item["purpose"] != purpose:
            continue
        if item.get("country") == country:
            return int(item["amount"])
        if item.get("country") is None:
            general = int(item["amount"])
    return general
