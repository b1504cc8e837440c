"""The benchmark (`bin/bench`): how fast the service is, beside its own baselines.

Nothing here is imported by the product. The baseline view and the no-op task live in
this package only, reached through `bench.settings` (which the benchmark's subprocesses use).
"""
