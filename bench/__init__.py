"""Benchmarks (issue 10): every figure is a ratio to a ceiling measured in the same run.

Run ``make bench`` (``BENCH_SIZE=small|full``) or ``.venv/bin/python -m bench.run --help``.
"""
