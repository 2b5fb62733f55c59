"""The measured suites, `startup` and `workloads`, as cases ready to run.

Both come from C sources built twice from one file (wasm32-wasi and the host's native static
target), so wasm and native numbers describe the same program. Building happens here, on demand,
through the toolchain's cache.
"""

from __future__ import annotations

from pathlib import Path

from lab import toolchain
from lab.model import SIZES, Case, Invocation
from lab.suites.workloads import STARTUP_EXPECTED, STARTUP_SOURCE

GUEST_DATA_DIR = "/data"  # where a workload's input folder appears inside the guest
WASM_TARGET = "wasm32-wasi"
MEASURED_SUITES = ("startup", "workloads")


class UnknownWorkload(ValueError):
    pass


def _builds(source: Path, name: str, archs: tuple[str, ...]) -> tuple[Path, tuple[tuple[str, Path], ...]]:
    """The wasm build and one static native build per architecture the run's hosts need."""
    wasm = toolchain.build(source, WASM_TARGET, name=name)
    natives = tuple((arch, toolchain.build(source, f"{arch}-linux-musl", name=name)) for arch in archs)
    return wasm, natives


def _case(suite: str, name: str, size: str, wasm: Path, natives, args: tuple[str, ...] = (), **extra) -> Case:
    local_native = dict(natives).get(toolchain.host_arch())
    return Case(suite=suite, name=name, size=size, natives=natives,
                invocation=Invocation(wasm=wasm, native=local_native, args=args), **extra)


def startup_cases(archs: tuple[str, ...]) -> list[Case]:
    """One case: a WASI program that prints one line and exits, and its native twin."""
    wasm, natives = _builds(STARTUP_SOURCE, "hello", archs)
    return [_case("startup", "hello", "-", wasm, natives, expected_stdout=STARTUP_EXPECTED)]


def workload_cases(sizes: tuple[str, ...], names: tuple[str, ...], archs: tuple[str, ...]) -> list[Case]:
    """Every workload of the manifest (or the named ones) at each size."""
    from lab.suites import workloads

    manifest = workloads.load_manifest()
    unknown = set(names) - {w.name for w in manifest}
    if unknown:
        raise UnknownWorkload(f"unknown workload(s): {', '.join(sorted(unknown))}; "
                              f"known: {', '.join(w.name for w in manifest)}")
    cases = []
    for workload in manifest:
        if names and workload.name not in names:
            continue
        wasm, natives = _builds(workload.source, workload.name, archs)
        for size in sizes:
            cases.append(_case("workloads", workload.name, size, wasm, natives, tuple(workload.args[size]),
                               expected_stdout=workloads.expected_output(workload, size),
                               inputs_dir=workload.inputs_dir))
    return cases


def cases_for(suite: str, sizes: tuple[str, ...] = SIZES, names: tuple[str, ...] = (),
              archs: tuple[str, ...] | None = None) -> list[Case]:
    archs = archs or (toolchain.host_arch(),)
    if suite == "startup":
        return startup_cases(archs)
    if suite == "workloads":
        return workload_cases(sizes, names, archs)
    raise ValueError(f"{suite} is not a measured suite")
