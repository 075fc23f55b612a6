"""Test-only helpers of the agent's tests: stand-ins for the shop's services (`shop_api`), an
in-memory shop (`memory_shop`), the offline assistant's test shop (`offline_shop`) and the
service tests' Kafka and app helpers (`service`).

Tests import them as `services.agent.tests.support.<module>`: pytest's importlib mode names
test-tree modules from the repository root, so the name is unique across services (the
notifier's and ingest's helpers follow the same pattern) and nothing touches `sys.path`.
"""
