"""Micro-benchmarks of our engine (lab.interp) with pytest-benchmark: the front end (decode,
validate), both execution tiers' compile steps, instantiation, call overhead and a few hot
loops on each tier.

    .venv/bin/python -m pytest benchmarks/engine --benchmark-json=engine.json
    .venv/bin/wasmlab import-benchmark engine.json      # store it as a run (suite engine-bench)

Not part of the default test run (testpaths is tests/). The front-end subject is a real
workload (sha256, ~10k instructions) built by the lab's toolchain.
"""

from __future__ import annotations

import pytest

from lab.interp import runtime as rt
from lab.interp.decode import decode_module
from lab.interp.machine import execute
from lab.interp.validate import validate_module

wasmtime = pytest.importorskip("wasmtime")

HOT = """
(module
  (memory 1)
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2)) (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func (export "count") (param i32) (result i32) (local i32)
    (block (loop
      (br_if 1 (i32.ge_u (local.get 1) (local.get 0)))
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br 0)))
    (local.get 1))
  (func (export "memsum") (param i32) (result i32) (local i32 i32)
    (loop
      (i32.store (i32.shl (i32.and (local.get 1) (i32.const 0x3FFF)) (i32.const 2))
                 (local.get 1))
      (local.set 2 (i32.add (local.get 2)
        (i32.load (i32.shl (i32.and (local.get 1) (i32.const 0x3FFF)) (i32.const 2)))))
      (br_if 0 (i32.lt_u (local.tee 1 (i32.add (local.get 1) (i32.const 1))) (local.get 0))))
    (local.get 2))
  (func (export "nop")))
"""
TIERS = ("translate", "interpreter")


@pytest.fixture(scope="module")
def workload_wasm() -> bytes:
    from lab.hosts import toolchain
    from lab.suites import workloads
    try:
        return toolchain.build(workloads.by_name("sha256").source, "wasm32-wasi").read_bytes()
    except Exception as error:
        pytest.skip(f"cannot build the sha256 workload here: {error}")


@pytest.fixture(scope="module")
def hot_module():
    return decode_module(wasmtime.wat2wasm(HOT))


def _instance(module, tier: str):
    store = rt.Store(tier=tier)
    return store, rt.instantiate(store, module, [])


def test_decode(benchmark, workload_wasm):
    benchmark(decode_module, workload_wasm)


def test_validate(benchmark, workload_wasm):
    module = decode_module(workload_wasm)
    benchmark(validate_module, module)


def test_compile_interpreter(benchmark, workload_wasm):
    from lab.interp.compile import compile_function

    def compile_all():
        module = decode_module(workload_wasm)
        ftypes = rt._module_caches(module)[0]
        for i in range(len(module.funcs)):
            compile_function(module, ftypes, i)
    benchmark(compile_all)


def test_translate(benchmark, workload_wasm):
    from lab.interp import tier

    def translate_all():
        module = decode_module(workload_wasm)
        tier.translate_all(module, rt._module_caches(module)[0])
    benchmark(translate_all)


def test_instantiate(benchmark, hot_module):
    benchmark(_instance, hot_module, "translate")


@pytest.mark.parametrize("tier", TIERS)
def test_call_overhead(benchmark, hot_module, tier):
    store, inst = _instance(hot_module, tier)
    f = inst.exports["nop"]
    execute(store, f, [])
    benchmark(execute, store, f, [])


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("name, arg, expected", [
    ("fib", 20, 6765), ("count", 200_000, 200_000), ("memsum", 100_000, 4999950000 & 0xFFFFFFFF),
])
def test_hot_loop(benchmark, hot_module, tier, name, arg, expected):
    store, inst = _instance(hot_module, tier)
    f = inst.exports[name]
    assert execute(store, f, [arg]) == [expected]
    benchmark.pedantic(execute, (store, f, [arg]), rounds=5, iterations=1)
