"""The shared harness of the sandbox runs (demo, template runs, chaos, bench, end-to-end tests): headless
Hummingbot, the sandbox child process, the one settle-and-report path, ledger reconciliation, the CLI helper."""
