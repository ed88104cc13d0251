"""An event bus that checks who speaks (finding 3): the embedded nats-server as `make run`
starts it refuses clients without a credential and a service publishing another's
subjects, while each service can still do all it needs with its own consumers."""

from __future__ import annotations

import asyncio

import nats
import nats.errors
import nats.js.errors
import pytest
from nats.errors import NoServersError
from nats.js.api import AckPolicy, ConsumerConfig

from deploy.embedded import free_port, start_nats
from deploy.runner import nats_passwords
from shared import broker

# What a refused request looks like to a client: no reply (timeout), or the server's error.
DENIED = (nats.errors.Error, nats.js.errors.Error, TimeoutError, OSError)
SUBJECT = "amparo.risk.assessment.recorded"


@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    passwords = nats_passwords(home)
    server = start_nats(home / "nats", port=free_port(), log_file=home / "nats.log", passwords=passwords)
    try:
        yield server.url, passwords
    finally:
        server.stop()


async def _connect(url: str, user: str, passwords: dict[str, str], errors: list | None = None):
    async def error_cb(exc: Exception) -> None:
        if errors is not None:
            errors.append(str(exc))

    return (
        await broker.connect(url, name=f"test-{user}", user=user, password=passwords[user])
        if (errors is None)
        else await nats.connect(
            url,
            user=user,
            password=passwords[user],
            inbox_prefix=broker.inbox_prefix(user),
            error_cb=error_cb,
            max_reconnect_attempts=0,
        )
    )


async def _stream_count(url: str, passwords, stream: str) -> int:
    nc = await _connect(url, "operator", passwords)
    try:
        return (await nc.jetstream().stream_info(stream)).state.messages
    finally:
        await nc.close()


@pytest.fixture
async def streams(secured):
    url, passwords = secured
    nc = await _connect(url, "operator", passwords)
    await broker.reset_streams(nc.jetstream())
    yield
    await nc.close()


async def test_a_client_without_credentials_is_refused(secured):
    url, _ = secured
    with pytest.raises((NoServersError, nats.errors.Error, OSError)):
        await nats.connect(url, max_reconnect_attempts=0, connect_timeout=2, allow_reconnect=False)
    with pytest.raises((NoServersError, nats.errors.Error, OSError)):
        await nats.connect(url, user="risk", password="guess", allow_reconnect=False, connect_timeout=2)


async def test_shelters_cannot_publish_an_assessment_of_risk(secured, streams):
    url, passwords = secured
    errors: list[str] = []
    nc = await _connect(url, "shelters", passwords, errors)
    try:
        await nc.publish(SUBJECT, b"{}")  # core publish: the server drops it and says why
        with pytest.raises(DENIED):
            await nc.jetstream().publish(SUBJECT, b"{}", timeout=1)
        await nc.flush()
        await asyncio.sleep(0.2)
    finally:
        await nc.close()
    assert any("permissions violation for publish" in e.lower() for e in errors), errors
    assert await _stream_count(url, passwords, "RISK") == 0


async def test_each_service_publishes_its_own_subjects_and_uses_only_its_own_consumers(secured, streams):
    url, passwords = secured
    risk = await _connect(url, "risk", passwords)
    errors: list[str] = []
    shelters = await _connect(url, "shelters", passwords, errors)
    try:
        ack = await risk.jetstream().publish(SUBJECT, b"{}", headers={"Nats-Msg-Id": "one"})
        assert ack.stream == "RISK"
        # Risk (re)creates its own stream at start; it may not touch the others.
        await broker.ensure_streams(risk.jetstream(), only=broker.streams_of("risk"))
        with pytest.raises(DENIED):
            await broker.ensure_streams(risk.jetstream(), only=["SHELTERS"])

        # Shelters consumes RISK through its own durable, the way shared.consumer does.
        js = shelters.jetstream()
        durable = broker.consumer_name("shelters", "RISK")
        config = ConsumerConfig(
            durable_name=durable, ack_policy=AckPolicy.EXPLICIT, filter_subjects=["amparo.risk.>"]
        )
        await js.add_consumer("RISK", config)
        sub = await js.pull_subscribe_bind(durable=durable, stream="RISK")
        (msg,) = await sub.fetch(1, timeout=5)
        await msg.ack_sync()
        await js.publish(f"deadletter.RISK.{durable}", b"{}", headers={"Nats-Msg-Id": "dl-1"})

        # ... and not through risk's, nor can it dead-letter in funds' name.
        with pytest.raises(DENIED):
            await js.add_consumer("SHELTERS", ConsumerConfig(durable_name="risk-shelters"), timeout=1)
        with pytest.raises(DENIED):
            await js.publish("deadletter.RISK.funds-risk", b"{}", timeout=1)
    finally:
        await risk.close()
        await shelters.close()
    assert await _stream_count(url, passwords, "DEADLETTER") == 1


async def test_a_service_reads_and_discards_only_as_its_admin_routes_need(secured, streams):
    """The admin routes (shared.admin): a service reads the dead letters and deletes one,
    records a discard of its own consumer's letter, and may not record one for another's."""
    from shared import deadletters

    url, passwords = secured
    shelters = await _connect(url, "shelters", passwords)
    try:
        js = shelters.jetstream()
        await js.publish("deadletter.RISK.shelters-risk", b"{}", headers={"Amparo-Consumer": "shelters-risk"})
        assert await deadletters.count(js, ["shelters-risk"]) == 1
        (letter,), _ = await deadletters.letters(js, ["shelters-risk"])
        await deadletters.discard(js, letter.seq, actor="admin", reason="test", consumers=["shelters-risk"])
        assert await deadletters.count(js) == 0
        with pytest.raises(DENIED):
            await js.publish("deadletter.discarded.RISK.funds-risk", b"{}", timeout=1)
    finally:
        await shelters.close()
