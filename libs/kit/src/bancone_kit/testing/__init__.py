"""Test and local-run provisioning: real Kafka and PostgreSQL for pytest and `make run`.

`fixtures` is the pytest plugin (loaded by the root ``conftest.py``); `provision` holds the
plain async helpers it and ``deploy/local/create_topics.py`` share; `service_checks` the
settings, health, metrics and migration checks every service's tests make alike.
"""
