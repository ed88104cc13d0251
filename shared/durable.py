"""A durable pull consumer kept alive: created explicitly, re-created when an operator or a
stream's deletion took it away, bound again after NATS came back. ``shared.consumer``
builds on it; the loop calls ``_check_if_due`` every turn, so upkeep costs one
``consumer_info`` every ``CHECK_SECONDS`` and a reconnect asks for a look at once."""

from __future__ import annotations

import asyncio
import contextlib
import time

from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from shared.logging import get_logger

log = get_logger(__name__)


class DurableUpkeep:
    """The durable's side of a consumer. The subclass sets ``_js``, ``stream``, ``durable``,
    ``_subjects``, ``_ack_wait``, ``_sub``, ``_next_check``, ``_rebind`` and ``missing``."""

    # How often the loop checks that its durable still exists (and re-creates it).
    CHECK_SECONDS = 5.0

    async def setup(self) -> None:
        # Created explicitly: pull_subscribe ignores durable_name and config updates (#506, #603).
        await self._js.add_consumer(self.stream, self._consumer_config())
        old, self._sub = (
            self._sub,
            await self._js.pull_subscribe_bind(durable=self.durable, stream=self.stream),
        )
        if old is not None:
            with contextlib.suppress(Exception):
                await old.unsubscribe()
            await _put_back(old)
        self.missing = False

    def _consumer_config(self) -> ConsumerConfig:
        return ConsumerConfig(
            durable_name=self.durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            filter_subjects=sorted(self._subjects),
            ack_wait=self._ack_wait,
            # Unlimited at the server: we dead-letter on our own count of the event's own
            # failures, and retry infrastructure failures for as long as they last.
            max_deliver=-1,
            max_ack_pending=1000,
        )

    def check_soon(self, *, rebind: bool = False) -> None:
        """Look at the durable at the next turn of the loop (the connection came back:
        a pull subscription has been seen to stall after a server restart, #504)."""
        self._next_check = 0.0
        self._rebind = self._rebind or rebind

    async def ensure(self) -> None:
        """The durable exists (else it is made again: its stream was deleted and created
        anew, or an operator deleted it); binds again when asked to."""
        try:
            await self._js.consumer_info(self.stream, self.durable)
        except NotFoundError:  # the consumer, or its whole stream, is gone
            try:
                await self.setup()
            except NotFoundError:  # the stream is still missing: its producer re-creates it
                if not self.missing:
                    log.error("consumer.stream_missing", consumer=self.durable, stream=self.stream)
                self.missing = True
                return
            log.warning("consumer.recreated", consumer=self.durable, stream=self.stream)
            self._rebind = False
            return
        self.missing = False
        if self._rebind:
            await self.setup()  # a failure leaves the flag: the next check tries again
            self._rebind = False
            log.info("consumer.rebound", consumer=self.durable)

    async def _check_if_due(self) -> None:
        now = time.monotonic()
        if now < self._next_check:
            return
        self._next_check = now + self.CHECK_SECONDS
        try:
            await self.ensure()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # NATS is away: the next check tries again
            log.warning("consumer.check_failed", consumer=self.durable, error=type(exc).__name__)


async def _put_back(old) -> None:
    """Give back at once what the old subscription was handed and nobody fetched.

    A pull answered after its fetch gave up (the moment NATS came back, say) leaves its
    messages in the subscription for the next fetch, and nats-py drops them with the
    subscription: the server would hand them out again only after ``ack_wait``, and every
    later event of their cases would wait for them (10 s of nats-server's 12.3 s recovery
    in `make bench`). Naked now, they come again to the new subscription. nats-py has no
    public way to take a pull subscription's leftovers, hence its private queue."""
    queue = getattr(getattr(old, "_sub", None), "_pending_queue", None)
    while queue is not None and not queue.empty():
        msg = queue.get_nowait()
        if msg.reply and msg.reply.startswith("$JS.ACK."):  # not a pull's status answer
            with contextlib.suppress(Exception):
                await msg.nak()
