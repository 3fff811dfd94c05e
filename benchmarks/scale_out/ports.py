"""Loopback ports for servers started by the benchmarks and the tests, and who listens on them.

A port is chosen here and bound later by a child process, so something else may take it in between.
The ports handed out lie below the kernel's ephemeral range: every outgoing connection on the machine
(to NATS, PostgreSQL, a gateway...) takes its local port from that range, so a port from it, free a
moment ago, is soon some client's. Below the range only servers that choose their port themselves
compete; a harness that starts a child on a chosen port still checks that the child got it
(:func:`listening_ports`) and starts it again on another one when it did not.
"""

from __future__ import annotations

import contextlib
import os
import random
import socket
from pathlib import Path

HOST = "127.0.0.1"
LOWEST_PORT = 20000
"""Lowest port handed out: well clear of the usual services' fixed ports."""
_EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_LISTEN_STATE = "0A"
"""TCP_LISTEN in /proc/net/tcp."""
_TIME_WAIT_STATE = "06"
_ATTEMPTS = 200
# Not the ``random`` module's generator: pytest-randomly seeds it the same way in every test
# process, which would have parallel test runs try the same ports in the same order.
_random = random.SystemRandom()


def ephemeral_range() -> tuple[int, int]:
    """The kernel's range for automatically assigned local ports (Linux's default without /proc)."""
    try:
        low, high = _EPHEMERAL_RANGE.read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def _bindable(port: int) -> bool:
    # No SO_REUSEADDR: a port with a connection still in TIME_WAIT counts as taken, as it may for
    # a child that binds without the option.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A loopback port nobody holds now, below the ephemeral range when there is room for one."""
    low, _ = ephemeral_range()
    if low - LOWEST_PORT >= 1000:
        for _ in range(_ATTEMPTS):
            port = _random.randrange(LOWEST_PORT, low)
            if _bindable(port):
                return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        bound: int = sock.getsockname()[1]
        return bound


def _socket_inodes(pid: int) -> set[str]:
    inodes: set[str] = set()
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:["):
                    inodes.add(target[len("socket:[") : -1])
    return inodes


def _tcp_sockets(pid: int) -> list[tuple[int, str, str]]:
    """(local port, state, inode) of every TCP socket (IPv4 and IPv6) seen from ``pid``'s network."""
    sockets = []
    for table in ("tcp", "tcp6"):
        with contextlib.suppress(OSError), open(f"/proc/{pid}/net/{table}") as lines:
            next(lines, None)  # the header
            for line in lines:
                fields = line.split()
                # sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
                if len(fields) > 9:
                    sockets.append((int(fields[1].rsplit(":", 1)[1], 16), fields[3], fields[9]))
    return sockets


def listening_ports(pid: int) -> set[int]:
    """The TCP ports process ``pid`` listens on, from /proc (Linux); empty when it is gone.

    A server answering on a port is not necessarily the child that was told to bind it: this tells
    whose it is.
    """
    inodes = _socket_inodes(pid)
    if not inodes:
        return set()
    return {port for port, state, inode in _tcp_sockets(pid) if state == _LISTEN_STATE and inode in inodes}


def taken_by_others(pid: int, ports: set[int]) -> set[int]:
    """Those of ``ports`` that a socket of another process holds: ``pid`` cannot bind them.

    Listeners and connections count; a connection in TIME_WAIT does not (a server binds over it).
    """
    # The table before the process's own sockets: a port it binds in between is then either not in
    # the table yet or already among its own, never taken for another's.
    sockets = _tcp_sockets(pid)
    own = _socket_inodes(pid)
    return {port for port, state, inode in sockets if port in ports and state != _TIME_WAIT_STATE and inode not in own}
