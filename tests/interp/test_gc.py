"""Wasm 3.0 typed function references and GC in lab.interp: whole spec files of both groups, and
what they do not reach (the GC heap limit, tier fallback, canonical types across modules, the
constant stack of return_call_ref, values at the embedding API)."""

from __future__ import annotations

import pytest
import wasmtime

from lab.interp import api
from lab.interp import gctypes as gt
from lab.interp import runtime as rt
from lab.interp.decode import decode_module
from lab.interp.errors import TRAP_GC_OUT_OF_MEMORY, LinkError, Trap
from lab.interp.gcvalues import Struct
from lab.interp.validate import validate_module

GC_FILES = ["array.wast", "array_copy.wast", "array_fill.wast", "array_init_data.wast",
            "array_init_elem.wast", "array_new_data.wast", "array_new_elem.wast",
            "br_on_cast.wast", "br_on_cast_fail.wast", "extern.wast", "i31.wast", "ref_cast.wast",
            "ref_eq.wast", "ref_test.wast", "struct.wast", "type-canon.wast", "type-rec.wast",
            "type-subtyping.wast"]
FUNCREF_FILES = ["br_on_non_null.wast", "br_on_null.wast", "call_ref.wast", "local_init.wast",
                 "ref.wast", "ref_as_non_null.wast", "type-equivalence.wast"]


def _run_spec_file(name: str) -> list:
    from lab.runners.interp.spec import InterpSpecSession
    from lab.suites import spec

    (spec_file,) = [f for f in spec.spec_files("spec-3.0") if f.name == name]  # renamed or missing: fails
    return spec.run_spec_file(spec_file, InterpSpecSession, spec.Expectations.load("interp"),
                              command_timeout=60)


@pytest.mark.parametrize("tier", rt.TIERS)
@pytest.mark.parametrize("name", GC_FILES + FUNCREF_FILES)
def test_whole_spec_files_pass(name: str, tier: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WASMLAB_INTERP_TIER", tier)
    outcomes = _run_spec_file(name)
    assert outcomes and all(o.outcome == "pass" for o in outcomes), \
        [o for o in outcomes if o.outcome != "pass"][:5]


@pytest.mark.slow
def test_return_call_ref_spec_file_passes() -> None:
    outcomes = _run_spec_file("return_call_ref.wast")
    assert outcomes and all(o.outcome == "pass" for o in outcomes), \
        [o for o in outcomes if o.outcome != "pass"][:5]


def _instance(text: str, **store_args) -> tuple[api.Store, dict]:
    store = api.Store(**store_args)
    module = api.Module(None, wasmtime.wat2wasm(text))
    return store, api.Instance(store, module, []).exports(store)


_LIST = """
(module
  (type $bytes (array (mut i8)))
  (type $node (struct (field (ref null $node)) (field (ref $bytes))))
  (func (export "hoard") (param $n i32) (result i32)
    (local $head (ref null $node))
    (loop $l
      (local.set $head (struct.new $node (local.get $head)
                                         (array.new_default $bytes (i32.const 4096))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (i32.const 1))
  (func (export "churn") (param $n i32) (result i32)
    (local $head (ref null $node))
    (loop $l
      (local.set $head (struct.new $node (ref.null $node)
                                         (array.new_default $bytes (i32.const 4096))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (i32.const 1))
  (func (export "huge") (result i32)
    (array.len (array.new_default $bytes (i32.const 0x7fffffff))))
)"""


def test_a_runaway_allocation_loop_hits_the_memory_limit() -> None:
    """Live GC objects count against max_memory_pages (16 pages = 1 MiB here): holding 1,000
    arrays of 4 KiB slots traps, while as many that die at once never add up."""
    store, ex = _instance(_LIST, max_memory_pages=16)
    assert ex["churn"](store, 1000) == 1
    with pytest.raises(Trap) as info:
        ex["hoard"](store, 1000)
    assert info.value.kind == TRAP_GC_OUT_OF_MEMORY
    assert store._store.gc_heap.live <= store._store.gc_heap.limit


def test_one_huge_array_traps_before_it_is_allocated() -> None:
    store, ex = _instance(_LIST)
    with pytest.raises(Trap) as info:
        ex["huge"](store)
    assert info.value.kind == TRAP_GC_OUT_OF_MEMORY


_MIXED = """
(module
  (type $p (struct (field i32)))
  (func (export "plain") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func (export "gc") (param i32) (result i32) (struct.get $p 0 (struct.new $p (local.get 0))))
  (func (export "typed") (param (ref null $p)) (result (ref null $p)) (local.get 0))
)"""


def test_gc_functions_fall_back_to_the_interpreter_tier_only() -> None:
    from lab.interp.tier import code_for

    module = decode_module(wasmtime.wat2wasm(_MIXED))
    validate_module(module)
    ftypes = rt._module_caches(module)[0]
    assert code_for(module, ftypes, 0, False) is not None  # 2.0 instructions: translated
    assert code_for(module, ftypes, 1, False) is None       # struct.*: interpreter tier
    assert code_for(module, ftypes, 2, False) is not None  # typed references alone: translated
    store, ex = _instance(_MIXED)
    assert ex["plain"](store, 41) == 42 and ex["gc"](store, 7) == 7


def test_struct_values_cross_the_embedding_api() -> None:
    store, ex = _instance(_MIXED)
    s = ex["typed"](store, None)
    assert s is None
    made = api.Instance(store, api.Module(None, wasmtime.wat2wasm("""
      (module (type $p (struct (field i32)))
        (func (export "make") (result (ref $p)) (struct.new $p (i32.const 5))))""")), [])
    value = made.exports(store)["make"](store)
    assert isinstance(value, Struct) and value.fields == [5]
    assert ex["typed"](store, value) is value  # the same canonical type in both modules


def test_rec_groups_are_canonical_across_modules() -> None:
    def canon(text: str) -> list:
        module = decode_module(wasmtime.wat2wasm(text))
        validate_module(module)
        return gt.canon_types(module)

    group = "(rec (type $a (struct (field (ref null $b)))) (type $b (struct (field (ref null $a)))))"
    one, two = canon(f"(module {group})"), canon(f"(module (type (func)) {group})")
    assert one[0] is two[1] and one[1] is two[2]
    assert canon("(module (type (sub (func))))")[0] is not canon("(module (type (func)))")[0]
    assert canon("(module (type (func)))")[0] is rt.canonical_type(api.FuncType([], []))


def test_function_imports_match_by_subtype() -> None:
    store = api.Store()
    exporter = api.Instance(store, api.Module(None, wasmtime.wat2wasm("""
      (module (type $s (sub (func))) (type $t (sub $s (func)))
        (func (export "f") (type $t)))""")), [])
    f = exporter.exports(store)["f"]
    importer = "(module (type $s (sub (func))) (import \"m\" \"f\" (func (type {}))))"
    api.Instance(store, api.Module(None, wasmtime.wat2wasm(importer.format("$s"))), [f])
    with pytest.raises(LinkError):
        api.Instance(store, api.Module(None, wasmtime.wat2wasm(
            "(module (type $u (func (param i32))) (import \"m\" \"f\" (func (type $u))))")), [f])


@pytest.mark.parametrize("tier", rt.TIERS)
def test_return_call_ref_runs_in_constant_stack(tier: str) -> None:
    text = """
    (module
      (type $t (func (param i32) (result i32)))
      (elem declare func $count)
      (func $count (export "count") (type $t)
        (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 7))
          (else (return_call_ref $t (i32.sub (local.get 0) (i32.const 1))
                                    (ref.func $count))))))"""
    store = api.Store(max_call_depth=50)
    store._store.tier = tier
    ex = api.Instance(store, api.Module(None, wasmtime.wat2wasm(text)), []).exports(store)
    assert ex["count"](store, 5000) == 7


def test_an_absurd_array_new_fixed_count_is_invalid_without_allocating() -> None:
    from lab.interp.errors import InvalidError

    # array.new_fixed $a 4294967295 with one operand: rejected by count, not by building a list
    def section(sid: int, payload: bytes) -> bytes:
        return bytes([sid, len(payload)]) + payload

    body = b"\x00" + b"\x41\x00\xfb\x08\x00\xff\xff\xff\xff\x0f\x1a\x0b"  # no locals
    wasm = (b"\x00asm\x01\x00\x00\x00" + section(1, b"\x02\x5e\x7f\x00\x60\x00\x00")
            + section(3, b"\x01\x01") + section(10, b"\x01" + bytes([len(body)]) + body))
    with pytest.raises(InvalidError, match="^type mismatch"):
        validate_module(decode_module(wasm))
