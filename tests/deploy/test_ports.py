"""The ports a stack or a cluster is started on are all different. Asked one at a time,
each probe socket closed before the next, the kernel gave the same port twice in about
one set of five in 1,700 here; a benchmark run met it (shelters and the console on one
port: the seeding's POST /shelters reached the console's sign-in)."""

from __future__ import annotations

from deploy.embedded import free_ports
from deploy.stack import Stack


def test_free_ports_are_all_different():
    # 20,000 sets of five: the one-at-a-time probe repeats a port in about a dozen of them.
    for _ in range(20_000):
        ports = free_ports(5)
        assert len(set(ports)) == 5, ports


def test_a_stack_gets_five_different_ports(tmp_path):
    stack = Stack(tmp_path)
    assert len({*stack.ports.values(), stack.nats_port}) == 5
