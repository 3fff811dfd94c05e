"""Free loopback ports for servers started by the tests (shared with the benchmarks)."""

from __future__ import annotations

from benchmarks.scale_out.ports import free_port

__all__ = ["free_port"]
