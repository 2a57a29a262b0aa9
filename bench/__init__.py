"""Benchmarks of the portal against the floor of its stack (RELIABILITY Part B). See README.md."""
