"""What people read when something is refused or done: chosen by code, translated.

A service's ``detail`` is written for developers and may change; the console shows one of
these sentences instead, in the person's language (``code`` first, then the status).
"""

from __future__ import annotations

from services.console.i18n import gettext_


def N_(message: str) -> str:
    """Marks a message for the catalog; it is translated where it is shown."""
    return message


PROBLEMS = {
    "placement.wrong_state": N_("This placement is not in a state that allows this step. Reload the board."),
    "placement.hold_expired": N_("The hold has expired and its beds were released."),
    "placement.already_active": N_("This case already has an active placement."),
    "placement.no_room": N_("No shelter has room for this family."),
    "stay.beds_booked": N_("The beds are booked by another family in those days."),
    "bed.busy": N_("The bed is held or occupied in that period."),
    "shelter.code_taken": N_("Another shelter already uses this code."),
    "shelter.not_found": N_("This shelter does not exist or is outside your countries."),
    "console.unreachable": N_("A service did not answer. Try again in a moment."),
    "console.csrf": N_("The form was out of date. Reload the page and try again."),
    "console.role": N_("Your role does not allow this page."),
    "signin.refused": N_("Wrong email or password."),
    "signin.locked": N_("Too many failed attempts. Wait a few minutes and try again."),
    "signin.code": N_("That code is not valid. Use the newest code from your app."),
    "password.too_short": N_("A password needs at least 12 characters."),
    "password.same": N_("Choose a password different from the one you were given."),
    "password.mismatch": N_("The two passwords are not the same."),
    "account.email": N_("Enter a valid email address."),
    "account.email_taken": N_("An account with this email already exists."),
    "account.roles": N_("Choose at least one role."),
    "account.countries": N_("Choose countries from the list."),
    # the analyst's desk (issue 12)
    "case.not_found": N_("This case does not exist or is outside your countries."),
    "case.closed": N_("The case is closed; open a new case to assess her again."),
    "search.no_letters": N_("Type at least one word of her name."),
    "assessment.override_without_reason": N_("An override needs a reason of at least 10 characters."),
    "assessment.reason_without_override": N_("A reason was given without choosing a level to override with."),
    "assessment.answers_do_not_fit": N_("Some answers do not fit the instrument. Reload the form."),
    "incident.in_the_future": N_("The date of the attack is in the future."),
    "incident.gender_components_unnamed": N_("Tick which gender components the attack had."),
    "incident.gender_components_contradict": N_(
        "Gender components were ticked but the attack is marked as without them."
    ),
    "incident.unknown_case": N_("No such case in your countries."),
    "period.reversed": N_("The period ends before it starts."),
    # retention and retries (issues 13 and 14)
    "case.personal_data_blocked": N_(
        "Her personal data is blocked: the case was closed long ago. Only an administrator can read it, with a reason."
    ),
    "case.personal_data_erased": N_(
        "Her personal data was erased. The case's history (levels, steps, amounts) remains."
    ),
    "idempotency.key_reused": N_(
        "This form was already sent with other values. Reload the page and fill it in again."
    ),
    # --- admin pages ---
    "account.not_found": N_("This account does not exist."),
    "deadletter.not_found": N_("This dead letter is gone: it was replayed or discarded already."),
    "deadletter.still_failing": N_("The event still fails; the dead letter stays. Fix the cause first."),
    "deadletter.reason": N_("Give a reason to discard it, on one line."),
    "http.400": N_("Some values are missing or not valid."),
    "http.401": N_("Your session is over. Sign in again."),
    "http.403": N_("You are not allowed to do this."),
    "http.404": N_("Not found, or outside your countries."),
    "http.409": N_("This conflicts with the current state. Reload and try again."),
    "http.422": N_("Some values are not possible (for example an end before its start)."),
    "http.503": N_("A service is not available right now. Try again in a moment."),
}
GENERIC = N_("Something went wrong. Try again; if it happens again, tell your administrator.")

DONE = {
    "consent": N_("Her consent is recorded."),
    "consent_revoked": N_("Her consent is revoked; what had not happened yet for it is stopped."),
    "confirmed": N_("The placement is confirmed."),
    "checked_in": N_("The family is checked in."),
    "checked_out": N_("The family is checked out; the beds are free."),
    "cancelled": N_("The placement is cancelled; the beds are free."),
    "stay": N_("The stay is changed."),
    "shelter": N_("The shelter is registered."),
    "beds": N_("The beds are added."),
    "oos": N_("The bed is out of service for that period."),
    "oos_removed": N_("The bed is back in service."),
    "closed": N_("The shelter is closed to new holds."),
    "reopened": N_("The shelter is open again."),
    "account": N_("The account is created."),
    "password": N_("Your password is changed."),
    "language": N_("Language changed."),
    # the analyst's desk (issue 12)
    "case_opened": N_("The case is opened."),
    "assessed": N_("The assessment is recorded."),
    "incident": N_("The attack is recorded in the registry."),
    # --- admin pages ---
    "access": N_("The roles and countries are saved."),
    "disabled": N_("The account is disabled and its sessions ended."),
    "enabled": N_("The account is enabled again."),
    "second_factor": N_("The second factor is reset; she enrols a new one at her next sign-in."),
    "not_self": N_("You cannot disable your own account."),
    "replayed": N_("The event is applied; the dead letter is gone."),
    "discarded": N_("The dead letter is discarded; the reason is kept."),
}


ROLE_NAMES = {
    "network_staff": N_("network staff"),
    "shelter_coordinator": N_("shelter coordinator"),
    "risk_analyst": N_("risk analyst"),
    "fund_committee": N_("fund committee"),
    "fund_admin": N_("fund administrator"),
    "admin": N_("administrator"),
}


def role_name(role: str) -> str:
    return gettext_(ROLE_NAMES[role]) if role in ROLE_NAMES else role


def problem_text(code: str, status: int) -> str:
    message = PROBLEMS.get(code) or PROBLEMS.get(f"http.{status}") or GENERIC
    return gettext_(message)


def done_text(code: str | None) -> str | None:
    message = DONE.get(code or "")
    return gettext_(message) if message else None
