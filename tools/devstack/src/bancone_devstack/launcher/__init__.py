"""The steps of `make run` (deploy/local/run.py orchestrates them): where a run keeps its
state, the dev secrets, the services' environment, the broker, the demo seed, the output."""
