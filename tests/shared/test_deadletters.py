"""Dead letters on real JetStream and PostgreSQL: an empty stream lists nothing (the CLI
once asked for message 0); a poison event dead-lettered, fixed, then replayed is applied
exactly once, inside JetStream's duplicate window; a discard keeps who and why."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deploy import cli
from shared import deadletters
from shared.errors import BadInput, NotFound
from shared.events import encode_event
from shared.outbox import OutboxRelay, enqueue
from tests.shared.test_outbox_consumer import closed, consumer, record_effect
from tests.support import eventually, running


@pytest.fixture
async def pool(service_db):
    pool = await service_db("risk")
    await pool.execute("CREATE TABLE effects (event_id uuid NOT NULL, reason text NOT NULL)")
    return pool


def _url(js) -> str:
    return js._nc.connected_url.geturl()


async def test_an_empty_stream_lists_nothing(clean_streams, monkeypatch, capsys, tmp_path):
    js = clean_streams
    assert await deadletters.letters(js) == ([], 0)
    assert await deadletters.count(js) == 0
    with pytest.raises(NotFound):
        await deadletters.show(js, 1)
    # The CLI finds the server the way the services do, and by AMPARO_NATS_PORT without a URL.
    monkeypatch.setenv("AMPARO_HOME", str(tmp_path))
    monkeypatch.setenv("AMPARO_NATS_URL", _url(js))
    assert await asyncio.to_thread(cli.main, ["deadletters"]) == 0
    assert capsys.readouterr().out.strip() == "no dead letters"
    monkeypatch.delenv("AMPARO_NATS_URL")
    monkeypatch.setenv("AMPARO_NATS_PORT", str(js._nc.connected_url.port))
    assert await asyncio.to_thread(cli.main, ["deadletters", "list"]) == 0
    assert capsys.readouterr().out.strip() == "no dead letters"


async def _dead_letter_one(pool, js, broken: dict) -> tuple:
    """Three events, the middle one failing while ``broken['yes']``: dead-lettered."""

    async def handler(ctx, event):
        if event.data.reason == "poison" and broken["yes"]:
            raise ValueError("fails until fixed")
        await record_effect(ctx, event)

    events = [closed("ok_1"), closed("poison"), closed("ok_2")]
    async with pool.acquire() as conn, conn.transaction():
        await enqueue(conn, *events)
    await OutboxRelay(pool, js).relay_once()
    c = consumer(pool, js, handler=handler, max_deliver=3)
    return c, events


async def test_a_poison_event_fixed_and_replayed_is_applied_once(pool, clean_streams, monkeypatch, capsys):
    js = clean_streams
    broken = {"yes": True}
    c, events = await _dead_letter_one(pool, js, broken)
    async with running(c):
        await eventually(lambda: asyncio.sleep(0, c.dead_lettered == 1), timeout=20)
        await eventually(lambda: pool.fetchval("SELECT count(*) = 2 FROM effects"))
        (letter,), total = await deadletters.letters(js)
        assert total == 1 and await deadletters.count(js, ["test-effects"]) == 1
        assert await deadletters.count(js, ["someone-else"]) == 0
        assert (letter.consumer, letter.subject, letter.error) == (
            "test-effects",
            events[1].type,
            "ValueError",
        )
        assert letter.event_id == events[1].id and letter.deliveries == 3
        detail = await deadletters.show(js, letter.seq)
        assert detail.event["id"] == str(events[1].id)
        # The original headers are kept: the case's number travels again on replay.
        assert deadletters.original_headers(await deadletters.take(js, letter.seq))["Nats-Msg-Id"] == str(
            events[1].id
        )

        broken["yes"] = False  # the bug is fixed
        # Seconds after the original publish: well inside the duplicate window.
        monkeypatch.setenv("AMPARO_NATS_URL", _url(js))
        assert await asyncio.to_thread(cli.main, ["deadletters"]) == 0
        listed = capsys.readouterr().out
        assert f"seq={letter.seq} " in listed and "error=ValueError" in listed and "1 of 1" in listed
        assert await asyncio.to_thread(cli.main, ["deadletters", "replay", str(letter.seq)]) == 0
        assert f"replayed {letter.seq}" in capsys.readouterr().out
        await eventually(lambda: pool.fetchval("SELECT count(*) = 3 FROM effects"))
        # Replaying again finds no letter; a second publish of the replay would be dropped.
        with pytest.raises(NotFound):
            await deadletters.replay(js, letter.seq)
        # The consumer has caught up on the replay (acked): nothing else arrives.
        await eventually(lambda: _no_pending(js))
    rows = await pool.fetch("SELECT event_id FROM effects WHERE reason = 'poison'")
    assert [r["event_id"] for r in rows] == [events[1].id]
    assert await deadletters.letters(js) == ([], 0)


async def _no_pending(js) -> bool:
    info = await js.consumer_info("RISK", "test-effects")
    return info.num_pending == 0 and info.num_ack_pending == 0


async def test_a_service_applies_its_own_letter_in_process_once(pool, clean_streams):
    js = clean_streams
    broken = {"yes": True}
    c, _events = await _dead_letter_one(pool, js, broken)
    async with running(c):
        await eventually(lambda: asyncio.sleep(0, c.dead_lettered == 1), timeout=20)
    (letter,), _ = await deadletters.letters(js)
    raw = await deadletters.take(js, letter.seq, consumers=["test-effects"])
    with pytest.raises(ValueError):  # still broken: nothing is kept, the letter stays
        await c.apply_dead_letter(raw.data)
    assert await pool.fetchval("SELECT count(*) FROM effects WHERE reason = 'poison'") == 0
    broken["yes"] = False
    assert await c.apply_dead_letter(raw.data) is True
    assert await c.apply_dead_letter(raw.data) is False  # applied once, whatever happens next
    assert await pool.fetchval("SELECT count(*) FROM effects WHERE reason = 'poison'") == 1
    # Another consumer's letter answers like none.
    with pytest.raises(NotFound):
        await deadletters.take(js, letter.seq, consumers=["funds-risk"])


async def test_a_discard_needs_a_reason_and_keeps_who_and_why(pool, clean_streams, monkeypatch, capsys):
    js = clean_streams
    c, events = await _dead_letter_one(pool, js, {"yes": True})
    async with running(c):
        await eventually(lambda: asyncio.sleep(0, c.dead_lettered == 1), timeout=20)
    (letter,), _ = await deadletters.letters(js)
    # The operator's command: show it, and a discard without a reason is refused.
    monkeypatch.setenv("AMPARO_NATS_URL", _url(js))
    assert await asyncio.to_thread(cli.main, ["deadletters", "show", str(letter.seq)]) == 0
    assert f'"id": "{events[1].id}"' in capsys.readouterr().out
    with pytest.raises(SystemExit, match="give the reason"):
        await asyncio.to_thread(cli.main, ["deadletters", "discard", str(letter.seq)])
    for reason in ("", "   ", "two\nlines", "x" * 501):
        with pytest.raises(BadInput):
            await deadletters.discard(js, letter.seq, actor="admin@example.org", reason=reason)
    await deadletters.discard(
        js, letter.seq, actor="admin@example.org", reason="duplicate of a fixed case: ñ 100%"
    )
    assert await deadletters.letters(js) == ([], 0)
    (record,), total = await deadletters.letters(js, discarded=True)
    assert total == 1
    assert record.discarded_by == "admin@example.org"
    assert record.discard_reason == "duplicate of a fixed case: ñ 100%"
    assert record.event_id == events[1].id and record.consumer == "test-effects"
    with pytest.raises(NotFound):  # a discarded record is not a letter to replay
        await deadletters.replay(js, record.seq)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(replays=st.integers(1, 6), applied_before=st.booleans())
async def test_a_letter_replayed_any_number_of_times_at_once_is_applied_once(
    pool, clean_streams, replays, applied_before
):
    """However many replays race (two admins, a double click), the effect happens once, and
    never again when the consumer had applied the event after all."""
    js = clean_streams
    c = consumer(pool, js)
    event = closed(f"race_{replays}_{int(applied_before)}")
    data = encode_event(event)
    if applied_before:
        assert await c.apply_dead_letter(data) is True
    outcomes = await asyncio.gather(*(c.apply_dead_letter(data) for _ in range(replays)))
    assert sum(outcomes) == (0 if applied_before else 1)
    assert await pool.fetchval("SELECT count(*) FROM effects WHERE event_id = $1", event.id) == 1
