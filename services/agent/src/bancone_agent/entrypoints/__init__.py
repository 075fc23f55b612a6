"""How the outside reaches the agent: HTTP routes (health, readiness) and Kafka subscribers."""
