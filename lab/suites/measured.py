"""The measured suites, `startup` and `workloads`, as cases ready to run.

Both come from C sources built twice from one file (wasm32-wasi and the host's native static
target), so wasm and native numbers describe the same program. Building happens here, on demand,
through the toolchain's cache.
"""

from __future__ import annotations

from pathlib import Path

from lab.errors import LabError
from lab.hosts import toolchain
from lab.model import SIZES, Case, Invocation
from lab.suites.workloads import STARTUP_EXPECTED, STARTUP_SOURCE

GUEST_DATA_DIR = "/data"  # where a workload's input folder appears inside the guest
WASM_TARGET = "wasm32-wasi"


class UnknownWorkload(LabError, ValueError):
    pass


def _builds(source: Path, name: str, archs: tuple[str, ...]) -> tuple[Path | None, tuple[tuple[str, Path], ...], str]:
    """The wasm build and one static native build per architecture the run's hosts need, or the
    compiler's complaint: a program that does not build costs its own cells, not the run."""
    try:
        wasm = toolchain.build(source, WASM_TARGET, name=name)
        natives = tuple((arch, toolchain.build(source, f"{arch}-linux-musl", name=name)) for arch in archs)
    except toolchain.ToolchainUnavailable:
        raise  # no compiler at all: every case would fail, so say it once
    except toolchain.BuildError as error:
        return None, (), f"build failed: {str(error)[-600:]}"
    return wasm, natives, ""


def _case(suite: str, name: str, size: str, built, args: tuple[str, ...] = (), **extra) -> Case:
    wasm, natives, build_error = built
    local_native = dict(natives).get(toolchain.host_arch())
    return Case(suite=suite, name=name, size=size, natives=natives, build_error=build_error,
                invocation=Invocation(wasm=wasm, native=local_native, args=args), **extra)


def startup_cases(archs: tuple[str, ...]) -> list[Case]:
    """One case: a WASI program that prints one line and exits, and its native twin."""
    built = _builds(STARTUP_SOURCE, "hello", archs)
    return [_case("startup", "hello", "-", built, expected_stdout=STARTUP_EXPECTED)]


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
        built = _builds(workload.source, workload.name, archs)
        for size in sizes:
            cases.append(_case("workloads", workload.name, size, built, tuple(workload.args[size]),
                               expected_stdout=workloads.expected_output(workload, size),
                               inputs_dir=workload.inputs_dir, data_mount=workload.data_mount))
    return cases


def cases_for(suite: str, sizes: tuple[str, ...] = SIZES, names: tuple[str, ...] = (),
              archs: tuple[str, ...] | None = None) -> list[Case]:
    archs = archs or (toolchain.host_arch(),)
    if suite == "startup":
        return startup_cases(archs)
    if suite == "workloads":
        return workload_cases(sizes, names, archs)
    if suite == "components":
        from lab.suites.components import component_cases

        return component_cases(sizes, names, archs)
    if suite == "http":
        from lab.suites.http import http_cases

        return http_cases()
    raise ValueError(f"{suite} is not a measured suite")
