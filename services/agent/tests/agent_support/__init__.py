"""Test-only helpers of the agent's tests: stand-ins for the shop's services, an in-memory
shop, and the service tests' Kafka and app helpers. Importable because `tests/conftest.py`
puts this folder's parent on `sys.path` (pytest runs with `--import-mode=importlib`, which
adds no test folder there); the unique name keeps it apart from other services' helpers
in one pytest run."""
