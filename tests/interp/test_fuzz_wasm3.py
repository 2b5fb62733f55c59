"""The fuzzer's Wasm 3.0 mode (lab.fuzz.wasm3): modules valid for wasmtime with the features on,
and a seeded differential campaign of them against wasmtime."""

from __future__ import annotations

import hashlib

import wasmtime

from lab.fuzz.choices import RandomChoices
from lab.fuzz.engines import wasmtime_engine_config
from lab.fuzz.generate import generate_module
from lab.fuzz.wasm3 import FEATURES

ALL = frozenset(FEATURES)


def test_generated_wasm3_modules_are_valid_for_wasmtime():
    engine = wasmtime.Engine(wasmtime_engine_config(wasm3=True))
    valid = 0
    for seed in range(200):
        _, wasm = generate_module(RandomChoices(seed), ALL)
        try:
            wasmtime.Module(engine, wasm)
            valid += 1
        except wasmtime.WasmtimeError:
            pass  # the 2.0 generator makes a few invalid modules on purpose (limits)
    assert valid >= 190


def test_without_features_the_generator_makes_the_same_2_0_modules():
    # the 3.0 hooks take no choices unless asked, so 2.0 campaigns and their seeds replay: the
    # digest of seeds 0-29 as the generator made them before it had a Wasm 3.0 mode
    digest = hashlib.sha256()
    for seed in range(30):
        digest.update(generate_module(RandomChoices(seed))[1])
    assert digest.hexdigest() == "58706813d5dd191aa069dff800ad55d7350e8ff8411a25eb4018fb30b278c1b8"
