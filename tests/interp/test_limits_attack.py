"""Our engine's limits hold under attack. Each hostile module runs in a fresh child
(lab.fuzz.attack_child) under lab.run.measure.run_process with a wall-clock and a memory limit, so
the test sees the specific error or trap, and the child's own time and peak RSS."""

from __future__ import annotations

import json
import sys

import pytest

from lab.fuzz.encode import I32, FuncBody, ModuleSpec, encode_module, uleb
from lab.run.measure import run_process

wasmtime = pytest.importorskip("wasmtime")

CHILD_MEMORY_LIMIT = 1 << 30
ALLOWED_GROWTH_KIB = 64 * 1024  # beyond the idle child's peak RSS


def _attack(tmp_path, wasm: bytes, *flags: str, timeout_s: float = 60.0) -> tuple[dict, float, int]:
    """(outcome, wall seconds, peak RSS KiB) of one hostile module in a fresh child."""
    path = tmp_path / "attack.wasm"
    path.write_bytes(wasm)
    result = run_process([sys.executable, "-m", "lab.fuzz.attack_child", str(path), *flags],
                         timeout_s=timeout_s, memory_limit_bytes=CHILD_MEMORY_LIMIT)
    assert result.status == "ok", (result.describe(), result.stderr[-2000:])
    return json.loads(result.stdout.decode().splitlines()[-1]), result.wall_s, result.max_rss_kib


@pytest.fixture(scope="module")
def idle_rss_kib(tmp_path_factory) -> int:
    outcome, _, rss = _attack(tmp_path_factory.mktemp("idle"), wasmtime.wat2wasm(
        '(module (func (export "run") (result i32) i32.const 1))'))
    assert outcome == {"stage": "done", "result": 1}
    return rss


def _wat(text: str) -> bytes:
    return wasmtime.wat2wasm(text)


def test_memory_grow_loop_stops_at_the_store_limit(tmp_path, idle_rss_kib):
    wasm = _wat('''(module (memory 1)
      (func (export "run") (result i32) (local i32)
        (block (loop
          (br_if 1 (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
          (local.set 0 (i32.add (local.get 0) (i32.const 1)))
          (br 0)))
        (local.get 0)))''')
    outcome, wall, rss = _attack(tmp_path, wasm, "--max-pages", "256")
    assert outcome == {"stage": "done", "result": 255}  # 1 + 255 pages = the limit, then -1
    assert wall < 30
    assert rss - idle_rss_kib < 16 * 1024 + ALLOWED_GROWTH_KIB  # 16 MiB of pages, nothing more


def test_growing_by_huge_deltas_fails_cleanly(tmp_path, idle_rss_kib):
    wasm = _wat('''(module (memory 1) (table 1 funcref)
      (func (export "run") (result i32)
        (i32.add (i32.add (memory.grow (i32.const -1)) (memory.grow (i32.const 65536)))
                 (table.grow (ref.null func) (i32.const -1)))))''')
    outcome, wall, rss = _attack(tmp_path, wasm)
    assert outcome == {"stage": "done", "result": -3}
    assert wall < 30 and rss - idle_rss_kib < ALLOWED_GROWTH_KIB


@pytest.mark.parametrize("declaration, limit_flags", [
    ("(memory 65536)", ()),                                  # 4 GiB, over the default 1 GiB limit
    ("(memory 20000)", ("--max-pages", "16384")),
    ("(table 4294967295 funcref)", ()),                      # over the default 10M elements
    ("(table 100000 funcref)", ("--max-table", "1000")),
])
def test_huge_declared_memories_and_tables_are_refused_without_allocating(tmp_path, idle_rss_kib, declaration,
                                                                           limit_flags):
    outcome, wall, rss = _attack(tmp_path, _wat(f'(module {declaration} (func (export "run")))'), *limit_flags)
    assert outcome["stage"] == "instantiate" and outcome["error"] == "LimitError", outcome
    assert wall < 30 and rss - idle_rss_kib < ALLOWED_GROWTH_KIB


def test_deep_recursion_traps_with_stack_exhausted(tmp_path, idle_rss_kib):
    # Many locals per frame: the frame budget must bound memory, not only the frame count.
    locals_ = " ".join(["i64"] * 200)
    wasm = _wat(f'''(module (func $f (export "run") (local {locals_}) (call $f)))''')
    outcome, wall, rss = _attack(tmp_path, wasm)
    assert outcome == {"stage": "call", "error": "Trap", "kind": "call stack exhausted"}
    assert wall < 60 and rss - idle_rss_kib < 4 * ALLOWED_GROWTH_KIB


def test_mutual_recursion_traps_with_stack_exhausted(tmp_path):
    wasm = _wat('''(module
      (func $a (export "run") (result i32) (i32.add (call $b) (i32.const 1)))
      (func $b (result i32) (i32.add (call $a) (i32.const 2))))''')
    outcome, wall, _ = _attack(tmp_path, wasm, "--max-depth", "50000")
    assert outcome == {"stage": "call", "error": "Trap", "kind": "call stack exhausted"}
    assert wall < 60


@pytest.mark.parametrize("body", ["(loop (br 0))", "(loop (br_if 0 (i32.const 1)))",
                                  "(block (loop (br_table 0 1 (i32.const 0))))"])
def test_infinite_loops_run_out_of_fuel(tmp_path, body):
    outcome, wall, _ = _attack(tmp_path, _wat(f'(module (func (export "run") {body}))'), "--fuel", "2000000")
    assert outcome == {"stage": "call", "error": "Trap", "kind": "all fuel consumed"}
    assert wall < 30


def test_infinite_loop_without_fuel_is_killed_by_the_wall_clock_limit(tmp_path):
    path = tmp_path / "spin.wasm"
    path.write_bytes(_wat('(module (memory (export "memory") 1) (func (export "_start") (loop (br 0))))'))
    result = run_process([sys.executable, "-m", "lab.interp", "run", str(path)], timeout_s=2)
    assert result.timed_out and result.term_signal is not None and result.wall_s < 10


def _data_module(segment: bytes, memory_pages: int = 1) -> bytes:
    """A module with one memory and exactly this (hostile) data segment."""
    return encode_module(ModuleSpec(types=[((), ())], funcs=[FuncBody(0, [], b"")], memories=[(memory_pages, None)],
                                    exports=[("run", 0, 0)], raw_data_segments=[segment]))


def test_data_segment_longer_than_the_file_is_malformed_at_once(tmp_path, idle_rss_kib):
    hostile = b"\x00\x41\x00\x0b" + uleb(0xFFFFFFFF) + b"xyz"
    outcome, wall, rss = _attack(tmp_path, _data_module(hostile))
    assert outcome["stage"] == "load" and outcome["error"] == "MalformedError", outcome
    assert wall < 30 and rss - idle_rss_kib < ALLOWED_GROWTH_KIB


def test_giant_data_segment_past_the_memory_traps_at_instantiation(tmp_path, idle_rss_kib):
    payload = bytes(8 << 20)  # 8 MiB into a 64 KiB memory
    outcome, wall, rss = _attack(tmp_path, _data_module(b"\x00\x41\x00\x0b" + uleb(len(payload)) + payload))
    assert outcome == {"stage": "instantiate", "error": "Trap", "kind": "out of bounds memory access"}
    assert wall < 30 and rss - idle_rss_kib < 8 * 8 * 1024 + ALLOWED_GROWTH_KIB  # a few copies of the file at most


def test_data_segment_at_the_end_of_the_address_space_traps(tmp_path):
    outcome, _, _ = _attack(tmp_path, _data_module(b"\x00\x41\x7f\x0b\x01z"))  # offset -1 = 0xFFFFFFFF
    assert outcome == {"stage": "instantiate", "error": "Trap", "kind": "out of bounds memory access"}


def _body_module(code: bytes, raw_locals: bytes = b"\x00") -> bytes:
    """A module whose only function, run(), has these local declarations and instructions."""
    return encode_module(ModuleSpec(types=[((), ())], funcs=[FuncBody(0, [], code, raw_locals)],
                                    exports=[("run", 0, 0)]))


@pytest.mark.parametrize("declared_locals", [
    uleb(1) + uleb(0xFFFFFFFF) + bytes([I32]),                                  # 4 billion locals
    uleb(2) + uleb(0x80000000) + bytes([I32]) + uleb(0x80000000) + bytes([I32]),  # the sum overflows 32 bits
    uleb(1) + uleb(50_001) + bytes([I32]),                                      # one over the implementation limit
])
def test_absurd_local_counts_are_refused_without_allocating(tmp_path, idle_rss_kib, declared_locals):
    outcome, wall, rss = _attack(tmp_path, _body_module(b"", declared_locals))
    assert outcome["stage"] == "load" and outcome["error"] in ("MalformedError", "InvalidError"), outcome
    assert "local" in outcome["message"]
    assert wall < 30 and rss - idle_rss_kib < ALLOWED_GROWTH_KIB


def test_many_locals_within_the_limit_run(tmp_path):
    outcome, wall, _ = _attack(tmp_path, _body_module(b"", uleb(1) + uleb(50_000) + bytes([I32])))
    assert outcome == {"stage": "done", "result": None}
    assert wall < 30


def test_deeply_nested_blocks_do_not_overflow_the_python_stack(tmp_path, idle_rss_kib):
    depth = 100_000
    outcome, wall, rss = _attack(tmp_path, _body_module(b"\x02\x40" * depth + b"\x0b" * depth))
    # Either limit is fine (wasmparser has none for nesting); a RecursionError or a crash is not.
    ran = outcome == {"stage": "done", "result": None}
    assert ran or outcome.get("error") in ("MalformedError", "InvalidError"), outcome
    assert wall < 60 and rss - idle_rss_kib < 8 * ALLOWED_GROWTH_KIB


def test_enormous_straight_line_body_runs(tmp_path, idle_rss_kib):
    count = 200_000
    outcome, wall, rss = _attack(tmp_path, _body_module(b"\x41\x01\x1a" * count))
    assert outcome == {"stage": "done", "result": None}
    assert wall < 90 and rss - idle_rss_kib < 8 * ALLOWED_GROWTH_KIB


def test_vector_counts_larger_than_the_file_are_malformed_at_once(tmp_path, idle_rss_kib):
    # A type section claiming 2^32-1 entries, a function section claiming 10^9 functions.
    for section in (b"\x01\x05" + uleb(0xFFFFFFFF), b"\x03\x05" + uleb(1_000_000_000) + b"\x00"):
        wasm = b"\x00asm\x01\x00\x00\x00" + section[:1] + uleb(len(section) - 2) + section[2:]
        outcome, wall, rss = _attack(tmp_path, wasm)
        assert outcome["stage"] == "load" and outcome["error"] == "MalformedError", outcome
        assert wall < 30 and rss - idle_rss_kib < ALLOWED_GROWTH_KIB
