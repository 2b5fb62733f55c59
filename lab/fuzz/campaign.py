"""A fuzzing campaign: a stream of cases (generated modules, and mutations of real and generated
ones), each judged by the oracle, with findings saved as .wasm + .txt for regression tests."""

from __future__ import annotations

import hashlib
import re
import resource
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from lab.fuzz.choices import RandomChoices, chance, pick
from lab.fuzz.generate import generate_module
from lab.fuzz.mutate import mutate
from lab.fuzz.oracle import CaseReport, Finding, check_module

MEMORY_GROWTH_LIMIT_KIB = 512 * 1024  # the engine's store limits allow 4 MiB of memory per case


@dataclass
class CampaignResult:
    cases: int = 0
    seconds: float = 0.0
    stages: Counter = field(default_factory=Counter)
    findings: list[tuple[int, Finding, bytes]] = field(default_factory=list)
    signatures: Counter = field(default_factory=Counter)  # how often each kind of finding recurred


def signature(finding: Finding) -> str:
    """What a finding is about, without the numbers that differ between instances of it."""
    return finding.kind + ": " + re.sub(r"0x[0-9a-f]+|\d+", "N", finding.detail)[:100]


def make_case(case_seed: int, corpus: list[bytes], mutate_percent: int, exceptions: int = 0) -> bytes:
    """The module for one case, fully determined by its seed (so any finding can be replayed);
    `exceptions`: the share (percent) of generated modules that use exception handling."""
    choices = RandomChoices(case_seed)
    if corpus and chance(choices, mutate_percent):
        seed = pick(choices, corpus) if chance(choices, 70) else generate_module(choices, exceptions=exceptions)[1]
        return mutate(choices, seed)
    return generate_module(choices, exceptions=exceptions)[1]


def run_campaign(seconds: float, first_seed: int = 0, corpus: list[bytes] | None = None, mutate_percent: int = 50,
                 max_cases: int | None = None, differential: bool = True, findings_dir: Path | None = None,
                 on_finding: Callable[[int, Finding], None] | None = None,
                 exceptions: int = 0) -> CampaignResult:
    result = CampaignResult()
    started = time.monotonic()
    case_seed = first_seed
    while time.monotonic() - started < seconds and (max_cases is None or result.cases < max_cases):
        wasm = make_case(case_seed, corpus or [], mutate_percent, exceptions)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        report: CaseReport = check_module(wasm, case_seed, differential)
        growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
        if report.finding is None and growth > MEMORY_GROWTH_LIMIT_KIB:
            report.finding = Finding("memory", f"peak RSS grew by {growth // 1024} MiB in one case")
        result.cases += 1
        result.stages[report.stage] += 1
        if report.finding:
            result.signatures[signature(report.finding)] += 1
            result.findings.append((case_seed, report.finding, wasm))
            if findings_dir and result.signatures[signature(report.finding)] <= 3:
                save_finding(findings_dir, case_seed, report.finding, wasm)
            if on_finding:
                on_finding(case_seed, report.finding)
        case_seed += 1
    result.seconds = time.monotonic() - started
    return result


def save_finding(folder: Path, case_seed: int, finding: Finding, wasm: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{finding.kind}-{hashlib.sha1(wasm).hexdigest()[:12]}"
    (folder / f"{stem}.wasm").write_bytes(wasm)
    (folder / f"{stem}.txt").write_text(f"case seed {case_seed}\n{finding}\n")
    return folder / f"{stem}.wasm"
