"""The risk service's codes as analysts read them (levels, lines of defence, measures,
instrument groups, the registry's codes, timeline steps), translated where shown."""

from __future__ import annotations

from services.console.i18n import gettext_
from services.console.messages import N_

WORDS: dict[str, dict[str, str]] = {
    "level": {"low": N_("low"), "medium": N_("medium"), "high": N_("high"), "extreme": N_("extreme")},
    "status": {"open": N_("open"), "closed": N_("closed")},
    "line": {
        "land_and_territory": N_("land and territory"),
        "indigenous_rights": N_("indigenous peoples' rights"),
        "womens_rights": N_("women's rights"),
        "sexual_and_reproductive_rights": N_("sexual and reproductive rights"),
        "lgbti_rights": N_("LGBTI rights"),
        "journalism": N_("journalism"),
        "search_for_the_disappeared": N_("search for the disappeared"),
        "labour_rights": N_("labour rights"),
        "migrants_rights": N_("migrants' rights"),
        "environment": N_("environment"),
        "other": N_("other"),
    },
    "measure": {
        "shelter": N_("shelter"),
        "relocation_grant": N_("relocation grant"),
        "home_security_grant": N_("home security grant"),
        "medical_psychological_grant": N_("medical and psychological care grant"),
        "legal_grant": N_("legal advice grant"),
        "digital_security": N_("digital security"),
        "self_care": N_("self-care"),
    },
    "group": {
        "threats": N_("Threats"),
        "vulnerabilities": N_("Vulnerabilities"),
        "capacities": N_("Capacities"),
        "gender": N_("Gender indicators"),
    },
    "score": {
        "threats": N_("Threats"),
        "vulnerabilities": N_("Vulnerabilities"),
        "capacities": N_("Capacities"),
        "gender": N_("Gender indicators"),
        "pressure": N_("Pressure"),
        "capacity_reduction_percent": N_("Reduction by capacities (%)"),
        "risk": N_("Risk"),
    },
    "reason": {
        "placement_ended": N_("her placement ended"),
        "shelter_compromised": N_("her shelter was compromised"),
        "new_incident": N_("a new incident"),
        "assessment_aged": N_("a high level grown old"),
    },
    "scope": {"individual": N_("individual"), "collective": N_("collective")},
    "aggression": {
        "threats": N_("threats"),
        "harassment": N_("harassment"),
        "defamation_stigmatization": N_("defamation or stigmatization"),
        "surveillance": N_("surveillance"),
        "raid": N_("raid"),
        "criminalization": N_("criminalization"),
        "physical_assault": N_("physical assault"),
        "sexual_violence": N_("sexual violence"),
        "attempted_murder": N_("attempted murder"),
        "murder": N_("murder"),
        "forced_disappearance": N_("forced disappearance"),
        "other": N_("other"),
    },
    "perpetrator": {
        "state_agents": N_("state agents"),
        "organized_crime": N_("organized crime"),
        "companies": N_("companies"),
        "community": N_("community"),
        "family": N_("family"),
        "own_organization_or_movement": N_("her own organization or movement"),
        "unknown": N_("unknown"),
    },
    "gender_component": {
        "sexual_violence": N_("sexual violence"),
        "threats_of_sexual_violence": N_("threats of sexual violence"),
        "threats_against_children_or_family": N_("threats against her children or family"),
        "family_violence": N_("family violence"),
        "violence_from_own_organization": N_("violence from her own organization"),
        "stigmatization_as_woman": N_("stigmatization as a woman"),
        "stigmatization_for_sexuality": N_("stigmatization for her sexuality"),
        "care_responsibilities": N_("care responsibilities"),
        "isolation": N_("isolation"),
        "other": N_("other"),
    },
    "step": {
        "amparo.risk.case.opened": N_("Case opened"),
        "amparo.risk.assessment.recorded": N_("Assessment recorded"),
        "amparo.risk.incident.recorded": N_("Incident recorded"),
        "amparo.risk.case.closed": N_("Case closed"),
        "amparo.shelters.placement.requested": N_("Placement requested"),
        "amparo.shelters.placement.held": N_("Beds held"),
        "amparo.shelters.placement.waitlisted": N_("On the waitlist"),
        "amparo.shelters.placement.confirmed": N_("Placement confirmed"),
        "amparo.shelters.placement.checked_in": N_("Checked in"),
        "amparo.shelters.placement.ended": N_("Checked out"),
        "amparo.shelters.placement.cancelled": N_("Placement cancelled"),
        "amparo.shelters.placement.expired": N_("Hold expired"),
        "amparo.shelters.placement.reconciled": N_("Placement reconciled"),
        "amparo.shelters.shelter.compromised": N_("Shelter compromised"),
        "amparo.funds.application.opened": N_("Grant application opened"),
        "amparo.funds.application.approved": N_("Grant approved"),
        "amparo.funds.application.rejected": N_("Grant rejected"),
        "amparo.funds.application.info_requested": N_("Committee asked for information"),
        "amparo.funds.application.overdue": N_("Grant decision overdue"),
        "amparo.funds.disbursement.made": N_("Grant paid"),
        "amparo.funds.application.closed": N_("Grant application closed"),
        "amparo.funds.application.updated": N_("Grant application updated"),
        "amparo.funds.application.follow_up_opened": N_("Follow-up grant application"),
        "amparo.funds.application.withdrawn": N_("Grant application withdrawn"),
        "amparo.risk.consent.given": N_("Consent recorded"),
        "amparo.risk.consent.revoked": N_("Consent revoked"),
        "amparo.risk.consent.withheld.shelters": N_("No hold requested: no consent for shelters"),
        "amparo.risk.consent.withheld.funds": N_("No grant application: no consent for funds"),
        "amparo.risk.case.reassessment_due": N_("Re-assessment due"),
        "amparo.risk.case.personal_data_blocked": N_("Personal data blocked"),
        "amparo.risk.case.personal_data_erased": N_("Personal data erased"),
    },
    # What she agreed to share (risk's consent purposes).
    "consent": {
        "shelters": N_("sharing with shelters (beds held for her)"),
        "funds": N_("sharing with funds (a grant application)"),
        "statistics": N_("counting in the registry's statistics"),
        "contact": N_("contact by the network"),
    },
}


def word(kind: str, code: str | None) -> str:
    """A code in the page's language; an unknown code as itself (a newer service's word)."""
    if code is None:
        return "—"
    message = WORDS.get(kind, {}).get(code)
    return gettext_(message) if message else code
