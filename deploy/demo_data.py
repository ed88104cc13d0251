"""What `amparo demo` makes its synthetic world of: the registry's vocabularies, places,
funds, a committee and names (every one invented)."""

from __future__ import annotations

from services.risk.domain import vocabulary as risk

# The registry's own vocabularies; the demo leaves out the fatal aggressions and "other".
LINES = [line for line in risk.LINES_OF_DEFENCE if line != "other"]
AGGRESSIONS = [a for a in risk.AGGRESSION_TYPES if a not in ("murder", "forced_disappearance", "other")]
PERPETRATORS = list(risk.PERPETRATOR_TYPES)

# ISO 3166-2 subdivisions (shared/places.py): where the demo's defenders and shelters are.
REGIONS = {
    "MX": ["MX-CHP", "MX-OAX", "MX-GRO", "MX-CMX"],
    "GT": ["GT-16", "GT-17", "GT-01", "GT-13"],
    "HN": ["HN-FM", "HN-AT", "HN-CR"],
    "SV": ["SV-SS", "SV-MO", "SV-LI"],
    "NI": ["NI-MN", "NI-LE", "NI-MT"],
    "CR": ["CR-SJ", "CR-A", "CR-L"],
}
FUNDS = [
    ("Fondo Mesoamericano de Respuesta Rápida", "USD", ["GT", "SV", "NI", "HN"]),
    ("Fondo México de Protección", "MXN", ["MX"]),
    ("Fondo de Autocuidado y Sanación", "USD", ["CR"]),
]
COMMITTEE = ["comite-ana", "comite-bety", "comite-carmen"]
GENDER = [
    "threats_of_sexual_violence",
    "threats_against_children_or_family",
    "stigmatization_as_woman",
    "care_responsibilities",
]
FIRST = ["Aurora", "Berta", "Cándida", "Dolores", "Esperanza", "Flor", "Gloria", "Inés", "Juana", "Lucía"]
LAST = ["Ramírez", "López", "Xol", "Cac", "Hernández", "Martínez", "Ixcoy", "Morales", "Pérez", "Sánchez"]
