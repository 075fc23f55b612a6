"""`make faults`: the platform under a steady message load, one fault at a time, and a table
of what each cost (sent, answered, lost, duplicated, max reply delay, recovery time).

Modules: `schedule` (which faults, how many messages: pure), `accounting` (a phase's numbers
from what was sent and what the sandbox received: pure), `stack` (the private broker,
PostgreSQL, sandbox, scripted LLM and services under a restarting supervisor), `load` (signed
webhooks posted like Meta, retried on 5xx like Meta), `injectors` (the faults), `report` (the
table, printed and written to docs/reliability.md), `run` (the order of it all).
"""
