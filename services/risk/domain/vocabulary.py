"""The codes of the risk service (requests accept exactly these; the demo draws from them)."""

from __future__ import annotations

LINES_OF_DEFENCE = (
    "land_and_territory",
    "indigenous_rights",
    "womens_rights",
    "sexual_and_reproductive_rights",
    "lgbti_rights",
    "journalism",
    "search_for_the_disappeared",
    "labour_rights",
    "migrants_rights",
    "environment",
    "other",
)
CASE_STATUSES = ("open", "closed")
CLOSE_REASONS = ("risk_resolved", "relocated", "defender_request", "lost_contact", "transferred", "other")

# --- the registry of attacks ---------------------------------------------------------------
INCIDENT_SCOPES = ("individual", "collective")
AGGRESSION_TYPES = (
    "threats",
    "harassment",
    "defamation_stigmatization",
    "surveillance",
    "raid",
    "criminalization",
    "physical_assault",
    "sexual_violence",
    "attempted_murder",
    "murder",
    "forced_disappearance",
    "other",
)
PERPETRATOR_TYPES = (
    "state_agents",
    "organized_crime",
    "companies",
    "community",
    "family",
    "own_organization_or_movement",
    "unknown",
)
GENDER_COMPONENTS = (
    "sexual_violence",
    "threats_of_sexual_violence",
    "threats_against_children_or_family",
    "family_violence",
    "violence_from_own_organization",
    "stigmatization_as_woman",
    "stigmatization_for_sexuality",
    "care_responsibilities",
    "isolation",
    "other",
)
