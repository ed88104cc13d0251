"""The committee's rules: who counts toward the quorum, what a vote approves, when the
emergency track approves at once, and what a tally decides."""

from __future__ import annotations

from dataclasses import dataclass

from services.funds.domain.vocabulary import UNDECIDED, Outcome
from shared.errors import Conflict, Invalid


def required_votes(quorum: int, eligible: int) -> int:
    """The quorum counts only members who may vote: with fewer eligible members than the
    quorum, every eligible member must agree. Never less than one vote."""
    return max(1, min(quorum, eligible))


@dataclass(frozen=True)
class Tally:
    members: int
    recused: int
    approvals: tuple[int, ...]  # amounts of the approving votes of eligible members
    rejections: int
    info_requests: int
    quorum: int

    @property
    def eligible(self) -> int:
        return self.members - self.recused

    @property
    def required(self) -> int:
        return required_votes(self.quorum, self.eligible)

    @property
    def approval_reached(self) -> bool:
        return self.eligible > 0 and len(self.approvals) >= self.required

    @property
    def approval_impossible(self) -> bool:
        """Too many rejections: the members who have not voted cannot reach the quorum."""
        return self.eligible - self.rejections < self.required

    @property
    def approved_amount(self) -> int:
        # Every approving member agreed to at least the smallest amount proposed.
        return min(self.approvals)


def awaits_ratification(status: str, ratified: bool | None) -> bool:
    """An emergency approval the committee has not ratified yet (``ratified`` is None for
    applications that never went through the emergency track)."""
    return status == "approved" and ratified is False


def votes_open(status: str, ratified: bool | None) -> bool:
    """Votes count while the application is undecided, and after an emergency approval
    until it is ratified."""
    return status in UNDECIDED or awaits_ratification(status, ratified)


def check_votes_open(status: str, ratified: bool | None) -> None:
    if not votes_open(status, ratified):
        state = "approved and ratified" if status == "approved" else status
        raise Conflict(f"the application is already {state}; votes are closed", code="committee.votes_closed")


def approval_amount(requested: int, ceiling: int, proposed: int | None) -> int:
    """What an approve vote approves: the amount the member says, or what was requested
    capped by the ceiling; never above what was requested (an unpriced application, asking
    for 0, cannot be approved) nor above the ceiling."""
    if proposed is None:
        if requested <= 0:
            raise Invalid(
                "the application has no amount requested yet; say the amount you approve",
                code="committee.amount_needed",
            )
        return min(requested, ceiling)
    if requested < proposed:
        raise Invalid(
            "the amount you approve is above what was requested",
            code="committee.above_requested",
            extra={"requested": requested},
        )
    if proposed > ceiling:
        raise Invalid(
            "the amount you approve is above this fund's ceiling per grant",
            code="committee.above_ceiling",
            extra={"ceiling": ceiling},
        )
    return proposed


def emergency_approval(track: str, status: str, amount: int, emergency_limit: int) -> bool:
    """On the emergency track one member's approval within the emergency limit approves
    at once (ratified later by the committee)."""
    return track == "emergency" and status in UNDECIDED and amount <= emergency_limit


def alone_approves_up_to(track: str, status: str, emergency_limit: int) -> int | None:
    """The largest amount with which one member's approve vote, on its own, approves the
    application at once and commits the money (the emergency track, undecided); None when
    no single vote can. Agrees with ``emergency_approval`` for every amount."""
    return emergency_limit if track == "emergency" and status in UNDECIDED else None


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    # The amount to commit when the outcome is an approval.
    amount: int | None = None
    # False for an emergency approval that awaits the committee's ratification.
    ratified: bool = True


def decide(
    tally: Tally,
    *,
    awaiting_ratification: bool,
    request_info: bool = False,
    emergency_amount: int | None = None,
) -> Decision:
    """What the tally, after a vote or a recusal, does to the application.

    ``emergency_amount`` is the amount of this vote when it is an emergency approval;
    ``request_info`` that this vote asks for more information."""
    if awaiting_ratification:
        if tally.approval_reached:
            return Decision("ratified")
        if tally.approval_impossible:
            return Decision("flagged")
        return Decision("recorded")
    if tally.approval_reached:
        return Decision("approved", tally.approved_amount)
    if emergency_amount is not None:
        return Decision("approved", emergency_amount, ratified=False)
    if tally.approval_impossible:
        return Decision("rejected")
    if request_info:
        return Decision("info_requested")
    return Decision("recorded")
