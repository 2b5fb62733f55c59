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


# One op per Wasm 3.0 instruction family the generator writes (lab.fuzz.wasm3's table).
FAMILIES = {
    "tail-call": (0x12, 0x13), "wide-arithmetic": (0xFC13, 0xFC14, 0xFC15, 0xFC16),
    "function-references": (0x14, 0xD4, 0xD5), "gc": (0xFB00, 0xFB02, 0xFB08, 0xFB0B, 0xFB14, 0xFB1C, 0xD3),
    "exceptions": (0x08, 0x1F), "threads": (0xFE10, 0xFE48),
}


def test_the_generator_writes_every_family_and_a_second_64_bit_memory():
    from lab.interp.decode import decode_module

    seen: set[int] = set()
    memory64 = 0
    for seed in range(300):
        spec, wasm = generate_module(RandomChoices(seed), ALL)
        memory64 += 1 in spec.memory64
        try:
            module = decode_module(wasm)
        except Exception:  # the 2.0 generator's deliberate limit errors
            continue
        seen |= {ins[0] for f in module.funcs for ins in f.code.body}
    missing = {family: ops for family, ops in FAMILIES.items() if not set(ops) <= seen}
    assert not missing and memory64 > 50, missing


def test_a_seeded_wasm3_campaign_agrees_with_wasmtime():
    from lab.fuzz.campaign import run_campaign

    result = run_campaign(seconds=40, first_seed=31337, corpus=[], mutate_percent=0, max_cases=3000,
                          features=ALL)
    assert not result.findings, [(seed, str(finding)) for seed, finding, _ in result.findings[:5]]
    assert result.cases >= 200 and result.stages["run"] > 100
