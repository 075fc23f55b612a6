"""How the outside reaches the gateway: HTTP routes (and, later, Kafka subscribers)."""
