"""Fuzzing for our engine (lab.interp): structured module generation, mutation of real modules,
and an oracle that runs each case on our engine and on wasmtime and says what went wrong.

    python -m lab.fuzz --seconds 600           a long campaign; findings go to --findings DIR

The tests (tests/interp/test_fuzz_engine.py) run the same oracle with short, seeded budgets.
"""
