"""The validator (lab/interp/validate.py): specific rejections with the spec's messages, the
stack-polymorphic cases of unreachable code, multi-value blocks, reference types, constant
expressions, and every module / assert_invalid / assert_malformed (binary) command of the Wasm
2.0 spec files (SIMD included)."""

from __future__ import annotations

import copy
import random

import pytest

from lab.interp import opcodes as ops
from lab.interp.decode import decode_module
from lab.interp.errors import InvalidError, MalformedError
from lab.interp.module import I32, WASM_2_0, Code, Function, Module
from lab.interp.validate import validate_module
from tests.conftest import spec_2_0_message, spec_file_path

wasmtime = pytest.importorskip("wasmtime")


def wat(text: str) -> bytes:
    return bytes(wasmtime.wat2wasm(text))


def valid(text: str) -> Module:
    module = decode_module(wat(text))
    validate_module(module)
    return module


def invalid(text: str) -> str:
    module = decode_module(wat(text))
    with pytest.raises(InvalidError) as info:
        validate_module(module)
    return str(info.value)


def func(body: str, sig: str = "", extra: str = "") -> str:
    return f"(module {extra} (func {sig} {body}))"


# ------------------------------------------------------------------------ rejections

@pytest.mark.parametrize("text,message", [
    # operand stack
    (func("(i32.add (i32.const 1) (i64.const 2)) drop"), "type mismatch"),
    (func("(i32.const 1)"), "type mismatch"),                       # value left over
    (func("", "(result i32)"), "type mismatch"),                    # nothing to return
    (func("i32.add", "(result i32)"), "type mismatch"),             # empty stack
    (func("(block (result i32) (i64.const 0))", "(result i32)"), "type mismatch"),
    (func("(block (result i32) (br 0))", "(result i32)"), "type mismatch"),
    (func("(if (result i32) (i32.const 1) (then (i32.const 1)))", "(result i32)"),
     "type mismatch"),                                              # if without else
    (func("(if (i64.const 1) (then))"), "type mismatch"),
    (func("(block (result i32) (block (result i64) (i64.const 0) (i32.const 0) "
          "(br_table 0 1)))", "(result i32)"), "type mismatch"),   # br_table label types
    (func("(block (result i32) (i32.const 0) (i32.const 0) (br_table 0 1))", "(result i32 i32)"),
     "type mismatch"),                                              # br_table arities differ
    (func("(select (i32.const 0) (i64.const 0) (i32.const 0)) drop"), "type mismatch"),
    (func("(select (ref.null func) (ref.null func) (i32.const 0)) drop"), "type mismatch"),
    (func("(ref.is_null (i32.const 0)) drop"), "type mismatch"),
    (func("(call_indirect (type 0) (i32.const 0))", "",
          "(type (func)) (table 1 externref)"), "type mismatch"),
    (func("(table.copy 0 1 (i32.const 0) (i32.const 0) (i32.const 0))", "",
          "(table 1 funcref) (table 1 externref)"), "type mismatch"),
    (func("(table.init 0 0 (i32.const 0) (i32.const 0) (i32.const 0))", "",
          "(table 1 funcref) (elem externref (ref.null extern))"), "type mismatch"),
    (func("(table.set 0 (i32.const 0) (ref.null func))", "", "(table 1 externref)"),
     "type mismatch"),
    # indices
    (func("(local.get 2) drop", "(param i32)", "(type (func))"), "unknown local"),
    (func("(global.get 0) drop"), "unknown global"),
    (func("(call 5)"), "unknown function"),
    (func("(call_indirect (type 0) (i32.const 0))", "", "(type (func))"), "unknown table"),
    (func("(table.size 1) drop", "", "(table 1 funcref)"), "unknown table"),
    (func("(i32.load (i32.const 0)) drop"), "unknown memory"),
    (func("(memory.size) drop"), "unknown memory"),
    (func("(memory.fill (i32.const 0) (i32.const 0) (i32.const 0))"), "unknown memory"),
    (func("(data.drop 0)"), "unknown data segment"),
    (func("(memory.init 1 (i32.const 0) (i32.const 0) (i32.const 0))", "",
          "(memory 1) (data \"\")"), "unknown data segment"),
    (func("(elem.drop 0)"), "unknown elem segment"),
    (func("(br 1)"), "unknown label"),
    (func("(block (br_table 0 3 (i32.const 0)))"), "unknown label"),
    ("(module (func (call_indirect (type 3) (i32.const 0))) (table 1 funcref))", "unknown type"),
    # instruction rules
    (func("(i64.load align=16 (i32.const 0)) drop", "", "(memory 1)"),
     "alignment must not be larger than natural"),
    (func("(i32.store8 align=2 (i32.const 0) (i32.const 0))", "", "(memory 1)"),
     "alignment must not be larger than natural"),
    (func("(global.set 0 (i32.const 1))", "", "(global i32 (i32.const 0))"),
     "global is immutable"),
    (func("(ref.func 0) drop"), "undeclared function reference"),
    (func("(select (result i32 i32) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) "
          "(i32.const 0)) drop drop"), "invalid result arity"),
    # module rules
    ("(module (import \"a\" \"g\" (global (mut i32))) (global i32 (global.get 0)))",
     "constant expression required"),
    # (Wasm 2.0's stricter constant expressions: tests/interp/test_tail.py)
    ("(module (global i32 (i64.const 0)))", "type mismatch"),
    ("(module (memory 1) (data (i64.const 0) \"\"))", "type mismatch"),
    ("(module (table 1 funcref) (elem (i32.const 0) externref (ref.null extern)))",
     "type mismatch"),
    ("(module (data (i32.const 0) \"\"))", "unknown memory"),
    ("(module (elem (i32.const 0) func))", "unknown table"),
    ("(module (func) (export \"a\" (func 0)) (export \"a\" (func 0)))", "duplicate export name"),
    ("(module (export \"a\" (global 0)))", "unknown global"),
    ("(module (memory 2 1))", "size minimum must not be greater than maximum"),
    ("(module (table 2 1 funcref))", "size minimum must not be greater than maximum"),
    ("(module (memory 65537))", "memory size must be at most 65536 pages (4GiB)"),
    ("(module (memory 0 65537))", "memory size must be at most 65536 pages (4GiB)"),
    ("(module (func (param i32)) (start 0))", "start function"),
    ("(module (start 0))", "unknown function"),
    ("(module (import \"a\" \"b\" (func (type 4))))", "unknown type"),
])
def test_rejections(text, message):
    assert invalid(text).startswith(message)


@pytest.mark.parametrize("text", ["(module (memory 1) (memory 1))",
                                  "(module (import \"a\" \"b\" (memory 1)) (memory 1))"])
def test_several_memories_only_since_wasm_3_0(text):
    module = decode_module(wat(text))
    validate_module(module)
    with pytest.raises(InvalidError, match="^multiple memories"):
        validate_module(module, WASM_2_0)


def test_messages_say_where():
    message = invalid(func("(nop) (local.get 0) drop", "(result i32)"))
    assert message.startswith("unknown local 0") and "function 0" in message


# ------------------------------------------------------------------------ acceptances

@pytest.mark.parametrize("text", [
    # unreachable code is stack-polymorphic
    func("(unreachable) (i32.add) (drop)"),
    func("(unreachable) (select) (i64.const 0) (i64.add)", "(result i64)"),
    func("(return (i32.const 0)) (i64.const 0) (drop)", "(result i32)"),
    func("(block (result f32) (br 0 (f32.const 1)) (f32.neg))", "(result f32)"),
    func("(loop (br 0)) (i32.const 5)", "(result i32)"),
    func("(block (result i32) (unreachable) (br_table 0 0))", "(result i32)"),
    func("(unreachable) (ref.is_null) (drop)"),
    func("(unreachable) (br_if 0) (drop)", "(result i32)"),
    # multi-value blocks
    func("(block (result i32 i64) (i32.const 1) (i64.const 2)) (drop) (drop)"),
    func("(i32.const 1) (i32.const 2) (block (param i32 i32) (result i32) (i32.add))",
         "(result i32)"),
    func("(i32.const 1) (loop (param i32) (result i32) (br_if 0 (local.get 0)))",
         "(param i32) (result i32)"),
    func("(i32.const 7) (if (param i32) (result i32) (local.get 0) (then (i32.const 1) "
         "(i32.add)) (else (i32.const 2) (i32.sub)))", "(param i32) (result i32)"),
    func("(if (param i64) (i64.const 0) (i32.const 1) (then drop) (else drop))"),
    # br_table over labels of equal arity but different kinds of frames
    func("(block (result i32) (loop (result i32) (i32.const 0) (i32.const 0) (br_table 1 1)))",
         "(result i32)"),
    # references
    func("(ref.func 0) (drop)", "", "(elem declare func 0)"),
    func("(ref.func 0) (drop)", "", "(export \"f\" (func 0))"),
    func("(ref.func 0) (drop)", "", "(global funcref (ref.func 0))"),
    func("(select (result funcref) (ref.null func) (ref.null func) (i32.const 0)) (drop)"),
    func("(table.grow 0 (ref.null extern) (i32.const 1)) (drop)", "", "(table 1 externref)"),
    func("(table.fill 0 (i32.const 0) (ref.null func) (i32.const 0))", "", "(table 1 funcref)"),
    # constant expressions
    "(module (import \"a\" \"g\" (global i32)) (global i32 (global.get 0)) "
    "(memory 1) (data (global.get 0) \"x\"))",
    "(module (global funcref (ref.null func)) (global externref (ref.null extern)))",
    "(module (table 1 funcref) (elem (i32.const 0) funcref (ref.func 0)) (func))",
    "(module (memory 0 65536))",
    "(module (table 0 0xffffffff funcref))",
    "(module (func $s) (start $s))",
])
def test_acceptances(text):
    valid(text)


def test_hand_built_bodies_fail_cleanly():
    """Bodies the decoder never produces (else without if, missing end, code after the end)
    are rejected with InvalidError, not a Python exception."""
    base = decode_module(wat("(module (type (func)) (func))"))
    for body in ([(ops.ELSE,), (ops.END,)], [(ops.NOP,)], [(ops.END,), (ops.NOP,)], [],
                 [(ops.BLOCK, 99), (ops.END,), (ops.END,)], [(0xFFFF,), (ops.END,)],
                 [(ops.LOCAL_GET,), (ops.END,)]):
        module = copy.deepcopy(base)
        module.funcs = [Function(0, Code([], body))]
        with pytest.raises(InvalidError):
            validate_module(module)
    module = copy.deepcopy(base)
    module.funcs = [Function(7, Code([I32], [(ops.END,)]))]
    with pytest.raises(InvalidError, match="^unknown type 7"):
        validate_module(module)


def test_mutated_bodies_never_crash():
    """Shuffled real instructions: InvalidError or acceptance, never the validator's catch-all
    (whose message would show an internal exception)."""
    source = decode_module(wat("""
      (module (memory 1) (table 2 funcref) (global (mut i64) (i64.const 0))
        (type $t (func (param i32) (result i32)))
        (elem declare func 0)
        (func (type $t)
          (block (result i32)
            (loop (result i32)
              (local.get 0)
              (br_if 1 (i32.const 0))
              (i32.load offset=2 (i32.const 0))
              (i32.add)
              (br 0)))
          (if (result i32) (then (call 0 (i32.const 1))) (else (i32.const 3)))
          (global.set 0 (i64.const 9))
          (ref.func 0) (ref.is_null) (i32.add)
          (call_indirect (type $t) (i32.const 1) (i32.const 0))
          (select (i32.const 2) (i32.const 3))
          (br_table 0 0 (i32.const 0))))"""))
    validate_module(source)
    pool = source.funcs[0].code.body
    rng = random.Random(99)
    for _ in range(3000):
        module = copy.deepcopy(source)
        body = module.funcs[0].code.body
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(body))
            choice = rng.random()
            if choice < 0.35:
                body.insert(i, rng.choice(pool))
            elif choice < 0.6 and len(body) > 1:
                del body[i]
            elif choice < 0.85:
                body[i] = rng.choice(pool)
            elif len(body[i]) > 1 and isinstance(body[i][1], int):
                body[i] = (body[i][0], rng.choice([0, 1, 3, 2**32 - 1])) + body[i][2:]
        try:
            validate_module(module)
        except InvalidError as error:
            assert not str(error).startswith("invalid module ("), error


# ------------------------------------------------------------------- the spec testsuite



def spec_files() -> list[str]:
    from lab.config import DataNotFound, data_set
    try:
        folder = data_set("spec-2.0")
    except DataNotFound:
        return []
    return sorted(p.name for p in folder.glob("*.wast"))


@pytest.mark.parametrize("filename", spec_files() or ["(spec data missing)"])
def test_spec_file_modules(filename):
    """Every module of the file decodes and validates; every binary assert_malformed is
    MalformedError; every assert_invalid is InvalidError; messages start as the spec says."""
    from lab.suites.wast import AssertModule, ModuleCommand, parse_file
    path = spec_file_path("spec-2.0", filename)
    for command in parse_file(str(path)):
        if isinstance(command, ModuleCommand) or (
                isinstance(command, AssertModule)
                and command.expect in ("unlinkable", "uninstantiable")):
            expect, message = "valid", ""
        elif isinstance(command, AssertModule) and command.expect in ("malformed", "invalid"):
            expect, message = command.expect, spec_2_0_message(filename, command.line,
                                                               command.message)
        else:
            continue
        if command.source.form == "quote":
            continue  # a text-format test
        try:
            wasm = command.source.to_wasm()
        except Exception as error:  # wat2wasm refusing a text module is not ours to test
            if expect == "valid":
                pytest.fail(f"{filename}:{command.line}: wat2wasm failed: {error}")
            continue
        where = f"{filename}:{command.line}"
        try:
            module = decode_module(wasm, WASM_2_0)  # spec-2.0's files: the 2.0 rules
            validate_module(module, WASM_2_0)
            outcome, text = "valid", ""
        except MalformedError as error:
            outcome, text = "malformed", str(error)
        except InvalidError as error:
            outcome, text = "invalid", str(error)
        assert outcome == expect, f"{where}: expected {expect} {message!r}, got {outcome} {text!r}"
        message = spec_2_0_message(filename, command.line, message)
        assert text.startswith(message), f"{where}: expected {message!r}, got {text!r}"


def test_wasm_2_0_mode_keeps_the_global_rule_3_0_relaxed():
    """Wasm 3.0 lets a global initialiser read earlier globals; the 2.0 mode (spec-2.0 tests)
    does not."""
    for text in ("(module (global i32 (i32.const 0)) (global i32 (global.get 0)))",
                 "(module (memory 1) (global i32 (i32.const 0)) (data (global.get 0) \"a\"))"):
        module = decode_module(wat(text))
        validate_module(module)
        with pytest.raises(InvalidError, match="^unknown global"):
            validate_module(module, WASM_2_0)
    table = "(module (global funcref (ref.null func)) (table 10 funcref (global.get 0)))"
    with pytest.raises(InvalidError, match="^unknown global"):  # tables come before globals
        validate_module(decode_module(wat(table)))
