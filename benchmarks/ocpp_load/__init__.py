"""Load generation and measurement for ``benchmarks.bench_ocpp``."""
