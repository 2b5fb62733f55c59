"""The `components` suite: the startup program and every workload again, as WASI Preview 2
components wrapped from the very core modules the startup and workloads suites run.

Cases keep their names, sizes, inputs and expected outputs, so a report can set a component
beside its core module on the same runtime (lab.report.components).
"""

from __future__ import annotations

from dataclasses import replace

from lab.hosts import components, npm_tools
from lab.model import Case

SUITE = "components"


def as_component(case: Case) -> Case:
    """The case with its core module replaced by the component wrapping it; a jco failure
    becomes the case's build error (its cells are errors, the run goes on)."""
    if case.build_error or case.invocation.wasm is None:
        return replace(case, suite=SUITE)
    try:
        component = components.component_for(case.invocation.wasm)
    except (components.ComponentBuildError, npm_tools.NpmToolUnavailable) as error:
        return replace(case, suite=SUITE, build_error=f"component build failed: {error}")
    return replace(case, suite=SUITE, invocation=replace(case.invocation, wasm=component))


def component_cases(sizes: tuple[str, ...], names: tuple[str, ...], archs: tuple[str, ...]) -> list[Case]:
    """hello (the startup suite's program) and the workloads (or the named ones), each as a
    component."""
    from lab.suites import measured

    cores = measured.startup_cases(archs) + measured.workload_cases(sizes, names, archs)
    return [as_component(case) for case in cores]
