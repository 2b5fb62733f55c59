"""The lab's vocabulary: hosts, runtimes, cases, jobs, and the rows a run stores.

Results are long-format rows (one measured value per row) so pandas can pivot them any way a
report needs. Their fields are the row types MeasurementRow and ConformanceRow (the stored
columns are derived from them; the store refuses a row whose keys differ).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, TypedDict

if TYPE_CHECKING:
    from lab.runners.base import Sample

SUITE_IDS = ("startup", "workloads", "spec-2.0", "spec-3.0", "wasi-p1", "components", "http", "user")
USER_SUITE = "user"  # the user's own modules (run --suite DIR / --module FILE), lab.suites.user_suite
SIZES = ("small", "medium", "large")
# Per-process metrics every measured sample records (lab.run.execute), in units s, s, s and bytes.
PROCESS_METRICS = ("wall_time", "user_time", "sys_time", "peak_rss")

# Sample status values (one per process sample, repeated on each of its rows).
STATUS_OK = "ok"
STATUS_ERROR = "error"  # the runtime failed: non-zero exit, crash, could not start
STATUS_TIMEOUT = "timeout"
STATUS_WRONG_OUTPUT = "wrong-output"
STATUS_UNAVAILABLE = "unavailable"  # the runtime is not installed here, or lacks a feature the module uses
STATUS_SKIPPED = "skipped"  # the case does not apply to this runtime; reason says why

class RowIdentity(TypedDict):
    """Where a stored row comes from: the run, host, runtime and suite (every row starts so)."""

    run_id: str
    host: str
    arch: str
    emulated: bool
    runtime: str
    version: str
    mode: str
    suite: str


class MeasurementRow(RowIdentity):
    """One measured value of one sample (long format): the row every measured suite stores."""

    case: str
    size: str
    phase: str  # "process", or a phase the runtime reported about itself (compile, execute, ...)
    metric: str
    value: float  # NaN when the sample failed (its status and reason say why)
    unit: str
    process: int  # which fresh process of the cell (0-based)
    iteration: int  # which iteration within that process
    warmup: bool
    status: str  # one of the STATUS_* values
    reason: str


class ConformanceRow(RowIdentity):
    """The outcome of one spec or WASI test command on one runtime."""

    file: str
    group: str
    line: int
    index: int
    kind: str
    outcome: str
    reason: str


# The stored columns, in order: the row types' fields (one definition, checked at the store).
MEASUREMENT_COLUMNS = tuple(MeasurementRow.__annotations__)
CONFORMANCE_COLUMNS = tuple(ConformanceRow.__annotations__)


@dataclass(frozen=True)
class Host:
    """Where jobs run. `id` is what users name (`local`, `arm64-emulated`)."""

    id: str
    arch: str
    emulated: bool = False


@dataclass
class Detection:
    """Whether a runtime (or toolchain) is usable here, and if not, why and how to fix it."""

    name: str
    available: bool
    version: str = ""
    path: str = ""
    modes: list[str] = field(default_factory=list)
    reason: str = ""

    def as_dict(self) -> dict:
        return {"name": self.name, "available": self.available, "version": self.version,
                "path": self.path, "modes": list(self.modes), "reason": self.reason}


@dataclass(frozen=True)
class Invocation:
    """One program start: what every process runner needs to launch a guest.

    `wasm` is the WebAssembly module, `native` its natively built twin (either may be absent when
    the case has only one form). `dirs` are (host folder, guest path) preopens; the native runner
    rewrites guest paths in `args` to host paths instead.
    """

    wasm: Path | None
    native: Path | None = None
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    dirs: tuple[tuple[str, str], ...] = ()
    bench: bool = False  # the module imports bench.start/bench.end (lab.runners.bench_protocol)


@dataclass(frozen=True)
class Case:
    """One benchmark case of a measured suite (startup, workloads) at one size."""

    suite: str
    name: str
    size: str
    invocation: Invocation
    expected_stdout: bytes | None  # None: output is not checked (only the exit code)
    inputs_dir: Path | None = None  # copied fresh for every sample when the case writes files
    data_mount: str = "/data"  # the guest path of that copy (".": the guest's working directory)
    natives: tuple[tuple[str, Path], ...] = ()  # (arch, static binary) for every planned host
    build_error: str = ""  # set when the program did not build: its cells are errors, the run goes on
    # More checks of a finished sample (user modules: stderr, the bench region); returns (status, reason).
    check: Callable[[Sample], tuple[str, str]] | None = None

    def invocation_for(self, arch: str) -> Invocation:
        """The invocation with the native build for a host of this architecture."""
        from dataclasses import replace

        native = dict(self.natives).get(arch, self.invocation.native if not self.natives else None)
        return replace(self.invocation, native=native)


@dataclass(frozen=True)
class Job:
    """The unit of scheduling, sharding and resume: one runtime on one case (measured suites) or
    one runtime on one conformance file."""

    host: str
    runtime: str
    mode: str
    suite: str
    case: str
    size: str

    @property
    def key(self) -> str:
        """A stable file-name-safe identity used for the job's data file and for resume."""
        raw = "__".join((self.host, self.runtime, self.mode or "default", self.suite, self.case,
                         self.size or "-"))
        return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in raw)
