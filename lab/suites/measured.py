"""The measured suites, `startup` and `workloads`, as cases ready to run.

Both come from C sources built twice from one file (wasm32-wasi and the host's native static
target), so wasm and native numbers describe the same program. Building happens here, on demand,
through the toolchain's cache.
"""

from __future__ import annotations

from pathlib import Path

from lab import toolchain
from lab.suites.workloads import STARTUP_EXPECTED, STARTUP_SOURCE
from lab.model import SIZES, Case, Invocation

GUEST_DATA_DIR = "/data"  # where a workload's input folder appears inside the guest
WASM_TARGET = "wasm32-wasi"
MEASURED_SUITES = ("startup", "workloads")


def _builds(source: Path, name: str, need_native: bool = True) -> tuple[Path, Path | None]:
    wasm = toolchain.build(source, WASM_TARGET, name=name)
    native = toolchain.build(source, toolchain.native_target(), name=name) if need_native else None
    return wasm, native


def startup_cases() -> list[Case]:
    """One case: a WASI program that prints one line and exits, and its native twin."""
    wasm, native = _builds(STARTUP_SOURCE, "hello")
    return [Case(suite="startup", name="hello", size="-",
                 invocation=Invocation(wasm=wasm, native=native), expected_stdout=STARTUP_EXPECTED)]


def workload_cases(sizes: tuple[str, ...], names: tuple[str, ...] = ()) -> list[Case]:
    """Every workload of the manifest (or the named ones) at each size, built for wasm and native."""
    from lab.suites import workloads

    manifest = workloads.load_manifest()
    unknown = set(names) - {w.name for w in manifest}
    if unknown:
        raise ValueError(f"unknown workload(s): {', '.join(sorted(unknown))}; "
                         f"known: {', '.join(w.name for w in manifest)}")
    cases = []
    for workload in manifest:
        if names and workload.name not in names:
            continue
        wasm, native = _builds(workload.source, workload.name)
        for size in sizes:
            cases.append(Case(
                suite="workloads", name=workload.name, size=size,
                invocation=Invocation(wasm=wasm, native=native, args=tuple(workload.args[size])),
                expected_stdout=workloads.expected_output(workload, size),
                inputs_dir=workload.inputs_dir,
            ))
    return cases


def cases_for(suite: str, sizes: tuple[str, ...] = SIZES, names: tuple[str, ...] = ()) -> list[Case]:
    if suite == "startup":
        return startup_cases()
    if suite == "workloads":
        return workload_cases(sizes, names)
    raise ValueError(f"{suite} is not a measured suite")
