"""``make chaos``: trading through the connector against the sandbox under a seeded fault schedule, reconciled
with the exchange's ledger (``runner.py``)."""
