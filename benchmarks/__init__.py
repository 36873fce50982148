"""Benchmarks at provincial scale (DESIGN.md section 11): see benchmarks/README.md.

Not part of the test suite: `make bench` runs them against PostgreSQL.
"""
