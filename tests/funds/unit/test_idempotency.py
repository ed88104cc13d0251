"""One tranche per Idempotency-Key, by property (the same under concurrency is in
integration/test_concurrency.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.funds.disbursements.schemas import DisbursementCreate
from services.funds.domain.idempotency import check_same_request, fingerprint
from shared.errors import Invalid

bodies = st.builds(
    DisbursementCreate,
    amount=st.integers(1, 5),
    currency=st.sampled_from(["USD", "GTQ"]),
    method=st.sampled_from(["bank_transfer", "mobile_money"]),
    payee_reference=st.sampled_from(["ACC-0001", "W-5550123"]),
)


@given(bodies, bodies)
def test_the_fingerprint_is_the_body(a, b):
    assert (fingerprint(a) == fingerprint(b)) == (a == b)


@given(st.lists(st.tuples(st.sampled_from(["k1", "k2", "k3"]), bodies), max_size=30))
def test_retries_with_the_same_key_pay_once(requests):
    """The use case's rule against a dict of stored answers: a known key replays its
    first answer (same body) or is refused (another body); a new key pays."""
    stored: dict[str, tuple[str, int]] = {}
    payments: list[int] = []
    for key, body in requests:
        fp = fingerprint(body)
        if key in stored:
            first_fp, payment = stored[key]
            try:
                check_same_request(first_fp, fp)
            except Invalid as refused:
                assert fp != first_fp and refused.code == "disbursement.key_reused"
                continue
            assert payment < len(payments)  # the stored answer: nothing new is paid
            continue
        stored[key] = (fp, len(payments))
        payments.append(body.amount)
    assert len(payments) == len({key for key, _ in requests})
