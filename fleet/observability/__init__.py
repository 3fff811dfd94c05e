"""How the running system is watched: Prometheus metrics, readiness, structured logs."""
