"""How the controller reaches chargers held by gateway nodes: events and commands over NATS."""
