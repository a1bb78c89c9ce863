"""Benchmarks: each prints JSON and measures setsmart against its peers in the same run.

Run them from the repository root as modules, e.g. `.venv/bin/python -m bench.latency`.
"""
