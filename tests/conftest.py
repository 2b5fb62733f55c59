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


# spec-2.0 malformed-module messages that the threads proposal changes (lab/interp/atomics.py):
# memory limits flag 0x02 is its "shared" flag, so the module stays malformed but the decoder
# reads on for the minimum and runs out of bytes.
THREADS_MESSAGES = {("binary.wast", 851): "unexpected end"}


def spec_message(filename: str, line: int, message: str) -> str:
    """The message our engine gives for a spec-2.0 assert_malformed/assert_invalid command."""
    return THREADS_MESSAGES.get((filename, line), message)


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
