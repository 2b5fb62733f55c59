"""Shared fixtures: real programs built with the project's toolchain (cached across runs)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lab.hosts import toolchain
from lab.hosts.toolchain import native_target
from lab.suites.measured import STARTUP_SOURCE, WASM_TARGET

TESTS = Path(__file__).parent
PROGRAMS = TESTS / "programs"

# The lab finds the testsuites beside the checkout unless told otherwise; make that explicit.
os.environ.setdefault("WASMLAB_DATA", str((TESTS.parent.parent / "shared" / "data").resolve()))


def spec_file_path(suite: str, name: str) -> Path:
    """A testsuite file the tests rely on. Missing data or a renamed file fails the test (the
    data is part of every checkout's setup), rather than skipping it and passing for nothing."""
    from lab.config import data_set

    path = data_set(suite) / name
    assert path.is_file(), f"{path} is missing: was it renamed in the {suite} testsuite?"
    return path


# spec-2.0 commands whose expected message Wasm 3.0 changed (our engine speaks 3.0): file, line
# -> what the engine says now, as the spec-3.0 version of the command does. Exception handling
# made 0x0a (throw_ref) an opcode, so a constant expression missing its end runs into the next
# section, and import kind 4 a tag, whose type the two modules end before.
WASM_3_0_MESSAGES = {
    ("binary.wast", 112): "unexpected end of section or function",
    ("binary.wast", 679): "unexpected end",
    ("binary.wast", 689): "unexpected end",
}


def spec_2_0_message(name: str, line: int, message: str) -> str:
    """The message our (Wasm 3.0) engine must start with for a spec-2.0 command."""
    return WASM_3_0_MESSAGES.get((name, line), message)


@pytest.fixture(scope="session")
def hello_wasm() -> Path:
    return toolchain.build(STARTUP_SOURCE, WASM_TARGET, name="hello")


@pytest.fixture(scope="session")
def hello_native() -> Path:
    return toolchain.build(STARTUP_SOURCE, native_target(), name="hello")


@pytest.fixture(scope="session")
def echo_env_wasm() -> Path:
    return toolchain.build(PROGRAMS / "echo_env.c", WASM_TARGET, name="echo_env")


@pytest.fixture(scope="session")
def echo_env_native() -> Path:
    return toolchain.build(PROGRAMS / "echo_env.c", native_target(), name="echo_env")
