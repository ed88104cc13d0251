"""`amparo deadletters list|show|replay|discard`: the events that failed every retry,
reached like the services reach NATS (``deploy.cli.operator_nats``); the work is
``shared.deadletters``'s, this prints it."""

from __future__ import annotations

import argparse
import asyncio
import os


async def deadletters_command(args: argparse.Namespace) -> list[str]:
    import nats

    from deploy.cli import operator_nats
    from shared import deadletters
    from shared.errors import DomainError

    url, auth = operator_nats()
    try:
        nc = await nats.connect(
            url, name="amparo-deadletters", connect_timeout=5, max_reconnect_attempts=0, **auth
        )
    except Exception as exc:
        raise SystemExit(f"amparo deadletters: cannot reach NATS ({type(exc).__name__})") from None
    js = nc.jetstream()
    try:
        if args.action == "list":
            found, total = await deadletters.letters(
                js, discarded=args.discarded, limit=args.limit, offset=args.offset
            )
            lines = [
                f"seq={d.seq} at={d.at:%Y-%m-%dT%H:%M:%SZ} consumer={d.consumer} subject={d.subject} "
                f"stream_seq={d.stream_seq} deliveries={d.deliveries} error={d.error} event={d.event_id}"
                + (f" discarded_by={d.discarded_by} reason={d.discard_reason!r}" if args.discarded else "")
                for d in found
            ]
            if total == 0:
                return ["no discarded dead letters" if args.discarded else "no dead letters"]
            return [*lines, f"{len(found)} of {total} (from {args.offset})"]
        if args.seq is None:
            raise SystemExit(f"amparo deadletters {args.action}: name the letter (its seq)")
        if args.action == "show":
            import msgspec

            return [
                msgspec.json.format(
                    msgspec.json.encode(await deadletters.show(js, args.seq)), indent=2
                ).decode()
            ]
        if args.action == "replay":
            letter = await deadletters.replay(js, args.seq)
            return [
                f"replayed {letter.seq}: {letter.subject} (event {letter.event_id}) for {letter.consumer}"
            ]
        if not args.reason:
            raise SystemExit("amparo deadletters discard: give the reason (--reason '...')")
        actor = "operator:" + (os.environ.get("USER") or "cli")
        letter = await deadletters.discard(js, args.seq, actor=actor, reason=args.reason)
        return [f"discarded {letter.seq}: kept as a discarded record with the reason"]
    except DomainError as exc:
        raise SystemExit(f"amparo deadletters: {exc.detail}") from None
    finally:
        await nc.close()


def cmd_deadletters(args: argparse.Namespace) -> int:
    for line in asyncio.run(deadletters_command(args)):
        print(line)
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser("deadletters", help="events that failed every retry: list, show, replay, discard")
    p.add_argument("action", nargs="?", default="list", choices=["list", "show", "replay", "discard"])
    p.add_argument("seq", nargs="?", type=int, help="the letter's sequence in the DEADLETTER stream")
    p.add_argument("--reason", help="why it is discarded (required for discard; no personal data)")
    p.add_argument("--discarded", action="store_true", help="list the discarded records instead")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--offset", type=int, default=0)
    p.set_defaults(func=cmd_deadletters)
