"""From a run configuration to the list of jobs: suites x runtimes x hosts x cases x sizes.

The plan is a pure function of the configuration (plus the suite files on disk), so a resumed
run and every CI shard re-derive the same jobs in the same order.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from lab.errors import LabError
from lab.model import SIZES, SUITE_IDS, USER_SUITE, Job

DEFAULT_SUITES = ("startup", "workloads")
DEFAULT_SIZES = ("small",)
PLAN_ORDER_CASE = "case"
PLAN_ORDER_RUNTIME = "runtime"


class PlanError(LabError, ValueError):
    """The configuration asks for something that does not exist; the message says what does."""


@dataclass(frozen=True)
class RunConfig:
    suites: tuple[str, ...] = DEFAULT_SUITES
    runtimes: tuple[str, ...] = ()  # "id" or "id:mode"; empty = every available runtime
    skip_runtimes: tuple[str, ...] = ()  # ids left out of the above (a slow reference in long runs)
    sizes: tuple[str, ...] = DEFAULT_SIZES
    hosts: tuple[str, ...] = ("local",)
    local_name: str = ""  # what results call the local host (CI: one name per machine)
    repeat: int = 5
    warmup: int = 1
    timeout_s: float = 120.0
    memory_limit_mb: int = 8192
    workloads: tuple[str, ...] = ()  # restrict the workloads suite to these names
    files: tuple[str, ...] = ()  # restrict conformance suites to these files (names or globs)
    shard: tuple[int, int] = (1, 1)  # (index, count), 1-based
    # "runtime=repeat/warmup" entries that override repeat and warmup for one runtime: a slow
    # reference (pywasm at medium: minutes per sample) gets one sample while the rest get five.
    samples_for: tuple[str, ...] = ()
    # "case": a case's cells on every runtime run one after another (and in one shard), so a
    # ratio between runtimes compares samples taken moments apart, not an hour apart on a
    # machine whose speed drifts. "runtime": one runtime's cells at a time, the order of runs
    # made before this field existed (their resumes and shards must re-derive that order).
    plan_order: str = PLAN_ORDER_CASE
    # "runtime=N" entries: that runtime's jobs run N at a time, after every other job has run
    # alone. For a slow reference whose cells are mostly timeout bounds (pywasm at medium), so
    # a run takes hours less while the engines being compared are timed on an idle machine.
    parallel: tuple[str, ...] = ()
    # A runtime named in `runtimes` that is not available on a host: False refuses the run (a
    # typo or a missing install should not cost a run of unavailable cells), True records the
    # cells as unavailable with the reason (the nightly matrix names wasmedge and spin everywhere).
    allow_unavailable: bool = False
    # "runtime=seconds" entries: another per-process limit for one runtime. A slow reference
    # (pywasm) gets a short one, and its timed-out cells still count, as "at least" bounds.
    timeout_for: tuple[str, ...] = ()
    # The user suite's folders (--suite DIR) and modules (--module FILE), absolute, so a resumed
    # or merged run finds them again (lab.suites.user_suite).
    user_suites: tuple[str, ...] = ()
    user_modules: tuple[str, ...] = ()
    # One more sample per measured cell, its instructions counted under valgrind: a time metric
    # the machine's load cannot move, for verdicts that hold (lab.instructions).
    instructions: bool = False
    # Sizes whose cells get that sample (empty: every size). Cells without a size (startup's)
    # always do. A nightly run counts size small only: medium under valgrind takes hours.
    instruction_sizes: tuple[str, ...] = ()
    # The http suite's load per sample, bounded in count and time (lab.suites.http).
    http_requests: int = 2000
    http_concurrency: int = 8
    http_seconds: float = 10.0

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "RunConfig":
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known.setdefault("plan_order", PLAN_ORDER_RUNTIME)
        known.setdefault("allow_unavailable", True)  # runs made before the field recorded such cells
        for key, value in known.items():
            if isinstance(value, list):
                known[key] = tuple(value)
        return cls(**known)

    def validate(self) -> None:
        for suite in self.suites:
            if suite not in SUITE_IDS:
                raise PlanError(f"unknown suite {suite!r}; known: {', '.join(SUITE_IDS)}")
        for size in self.sizes:
            if size not in SIZES:
                raise PlanError(f"unknown size {size!r}; choose from {', '.join(SIZES)}")
        from lab.runners import versions
        from lab.runners.registry import RUNTIME_IDS

        for spec in self.runtimes:
            versions.check(parse_runtime_spec(spec)[0])
        for runtime in self.skip_runtimes:
            if not versions.is_known(runtime):
                raise PlanError(f"--skip-runtime {runtime!r}: unknown runtime; known: {', '.join(RUNTIME_IDS)}")
        if self.repeat < 1 or self.warmup < 0:
            raise PlanError("--repeat must be at least 1 and --warmup at least 0")
        if not self.timeout_s > 0:  # also refuses NaN
            raise PlanError(f"--timeout must be a positive number of seconds, not {self.timeout_s:g}")
        for size in self.instruction_sizes:
            if size not in SIZES:
                raise PlanError(f"--instructions-size {size!r}: choose from {', '.join(SIZES)}")
        if self.http_requests < 1 or self.http_concurrency < 1 or not self.http_seconds > 0:
            raise PlanError("--http-requests and --http-concurrency must be at least 1 and --http-seconds "
                            "a positive number of seconds")
        if self.memory_limit_mb < 1:
            raise PlanError(f"--memory-limit must be at least 1 MiB, not {self.memory_limit_mb}")
        if self.plan_order not in (PLAN_ORDER_CASE, PLAN_ORDER_RUNTIME):
            raise PlanError(f"unknown plan order {self.plan_order!r}")
        index, count = self.shard
        if not 1 <= index <= count:
            raise PlanError(f"shard {index}/{count} is out of range: use i/n with 1 <= i <= n")
        if (USER_SUITE in self.suites) != bool(self.user_suites or self.user_modules):
            raise PlanError("the user suite runs the modules of --suite DIR or --module FILE.wasm: give one")
        self.sample_overrides()
        self.parallel_widths()
        self.timeout_overrides()

    def releases(self) -> tuple[str, ...]:
        """The ID@VERSION runtimes named in `runtimes`, each once (lab.runners.versions)."""
        from lab.runners import versions

        named = (parse_runtime_spec(spec)[0] for spec in self.runtimes)
        return tuple(dict.fromkeys(runtime for runtime in named if versions.is_versioned(runtime)))

    def sample_overrides(self) -> dict[str, tuple[int, int]]:
        """runtime id -> (repeat, warmup) from `samples_for`; PlanError names a bad entry."""
        return _per_runtime("--samples-for", self.samples_for, parse_sample_override)

    def parallel_widths(self) -> dict[str, int]:
        """runtime id -> how many of its jobs run at once, from `parallel`; PlanError names a bad entry."""
        return _per_runtime("--parallel", self.parallel, parse_parallel)

    def counts_instructions(self, size: str) -> bool:
        """Whether a cell of this size gets the instruction-count sample."""
        return self.instructions and (not self.instruction_sizes or size not in SIZES
                                      or size in self.instruction_sizes)

    def http_load(self) -> tuple[int, int, float]:
        """(requests, concurrency, seconds) of one http sample's load."""
        return self.http_requests, self.http_concurrency, self.http_seconds

    def timeout_overrides(self) -> dict[str, float]:
        """runtime id -> its per-process limit in seconds, from `timeout_for`; PlanError names a bad entry."""
        return _per_runtime("--timeout-for", self.timeout_for, parse_timeout_override)

    def samples(self, runtime: str) -> tuple[int, int]:
        """(repeat, warmup) for one runtime: its --samples-for entry, else the run's own."""
        return self.sample_overrides().get(runtime, (self.repeat, self.warmup))


def parse_runtime_spec(spec: str) -> tuple[str, str]:
    """'wasmtime-cli:pulley' -> ('wasmtime-cli', 'pulley'); a bare id -> (id, ''). The id may name
    a release, 'wasmtime-cli@42.0.1:pulley' (lab.runners.versions)."""
    runtime, _, mode = spec.partition(":")
    return runtime, mode


def parse_sample_override(text: str) -> tuple[str, int, int]:
    """'pywasm=1/0' -> ('pywasm', 1, 0): at least one counted sample, warm-ups may be 0."""
    runtime, _, counts = text.partition("=")
    repeat_text, _, warmup_text = counts.partition("/")
    try:
        repeat, warmup = int(repeat_text), int(warmup_text)
    except ValueError:
        raise PlanError(f"--samples-for takes RUNTIME=REPEAT/WARMUP (for example pywasm=1/0), not {text!r}") from None
    if repeat < 1 or warmup < 0:
        raise PlanError(f"--samples-for {text!r}: repeat must be at least 1 and warmup at least 0")
    return runtime, repeat, warmup


def parse_timeout_override(text: str) -> tuple[str, float]:
    """'pywasm=10' -> ('pywasm', 10.0): a positive number of seconds."""
    runtime, seconds = _runtime_value("--timeout-for", text, float, "SECONDS", "pywasm=10")
    if not seconds > 0:
        raise PlanError(f"--timeout-for {text!r}: the limit must be a positive number of seconds")
    return runtime, seconds


def parse_parallel(text: str) -> tuple[str, int]:
    """'pywasm=2' -> ('pywasm', 2): at least one job at a time."""
    runtime, width = _runtime_value("--parallel", text, int, "JOBS", "pywasm=2")
    if width < 1:
        raise PlanError(f"--parallel {text!r}: at least one job at a time")
    return runtime, width


def _runtime_value(option: str, text: str, convert, what: str, example: str):
    """'runtime=value' -> (runtime, convert(value)); PlanError saying the option's form otherwise."""
    runtime, _, value = text.partition("=")
    try:
        return runtime, convert(value)
    except ValueError:
        raise PlanError(f"{option} takes RUNTIME={what} (for example {example}), not {text!r}") from None


def _per_runtime(option: str, entries: tuple[str, ...], parse) -> dict:
    """runtime id -> the parsed value of each "runtime=..." entry of an option; PlanError names
    an entry that does not parse or whose runtime does not exist."""
    from lab.runners import versions
    from lab.runners.registry import RUNTIME_IDS

    values = {}
    for entry in entries:
        runtime, *value = parse(entry)
        if not versions.is_known(runtime):
            raise PlanError(f"{option} {entry!r}: unknown runtime {runtime!r}; known: {', '.join(RUNTIME_IDS)}")
        values[runtime] = value[0] if len(value) == 1 else tuple(value)
    return values


def parse_shard(text: str) -> tuple[int, int]:
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise PlanError(f"--shard takes i/n (for example 1/4), not {text!r}") from None
    return index, count


@dataclass
class PlannedCell:
    """A job plus what the executor needs to run it: the case (measured) or file (conformance)."""

    job: Job
    payload: object = None  # lab.model.Case for measured suites, a spec/wasi file for conformance
    skip_status: str = ""  # "unavailable" or "skipped" when the job is recorded, not run
    skip_reason: str = ""


@dataclass
class Plan:
    config: RunConfig
    cells: list[PlannedCell] = field(default_factory=list)

    @property
    def jobs(self) -> list[Job]:
        return [cell.job for cell in self.cells]


def shard(groups: list[list[PlannedCell]], index: int, count: int) -> list[PlannedCell]:
    """The cells of every count-th group in plan order: deterministic, disjoint, and balanced
    across suites. A group stays in one shard (see RunConfig.plan_order)."""
    return [cell for position, group in enumerate(groups) if position % count == index - 1
            for cell in group]


def resolve_runtimes(config: RunConfig, detections: dict) -> list[tuple[str, str]]:
    """(runtime, mode) pairs to plan on one host, from that host's detections. With no --runtime:
    every runtime available there, in its default mode. Named runtimes are kept even when
    unavailable, so the run records why they did not run."""
    from lab.runners import versions
    from lab.runners.registry import RUNTIME_IDS

    if not config.runtimes:
        return [(rid, det.modes[0] if det.modes else "") for rid, det in detections.items()
                if det.available and rid not in config.skip_runtimes]
    pairs = []
    for spec in config.runtimes:
        runtime, mode = parse_runtime_spec(spec)
        if not versions.is_known(runtime):
            raise PlanError(f"unknown runtime {runtime!r}; known: {', '.join(RUNTIME_IDS)}")
        if runtime in config.skip_runtimes:
            continue
        det = detections[runtime]
        if not det.available and not config.allow_unavailable:
            raise PlanError(f"{runtime} is not available here: {det.reason} "
                            "(--allow-unavailable records its cells as unavailable instead)")
        if mode and det.available and mode not in det.modes:
            raise PlanError(f"{runtime} has no mode {mode!r}; its modes: {', '.join(det.modes)}")
        pairs.append((runtime, mode or (det.modes[0] if det.modes else "")))
    return pairs


def build_plan(config: RunConfig, fleet) -> Plan:
    """All cells of the configuration on the fleet's hosts, then this shard's share of them."""
    from lab.suites.kinds import suite_kind
    from lab.suites.measured import UnknownWorkload

    config.validate()
    archs = tuple(sorted({host.arch for host in fleet.hosts.values()}))
    items_by_suite = {}
    for suite in config.suites:
        try:
            items_by_suite[suite] = suite_kind(suite).items(suite, config, archs)
        except UnknownWorkload as error:
            raise PlanError(str(error)) from None
    _check_file_patterns(config, {suite: items for suite, items in items_by_suite.items()
                                  if not suite_kind(suite).measured})
    groups: list[list[PlannedCell]] = []
    for host in fleet.hosts:
        detections = {rid: det for (h, rid), det in fleet.detections.items() if h == host}
        for suite in config.suites:
            runtimes = [(runtime, mode, *_skip(suite, fleet.runners.get((host, runtime)), detections[runtime]))
                        for runtime, mode in resolve_runtimes(config, detections)]
            grid = [[PlannedCell(job=Job(host=host, runtime=runtime, mode=mode, suite=suite, case=case_name,
                                         size=size), payload=payload,
                                 **_cell_skip(suite, payload, fleet.runners.get((host, runtime)), status, reason))
                     for runtime, mode, status, reason in runtimes]
                    for case_name, size, payload in items_by_suite[suite]]
            if config.plan_order == PLAN_ORDER_CASE:
                groups += grid
            else:   # one cell per group, runtime by runtime
                groups += [[row[i]] for i in range(len(runtimes)) for row in grid]
    index, count = config.shard
    return Plan(config=config, cells=shard(groups, index, count))


def _check_file_patterns(config: RunConfig, conformance_items: dict[str, list]) -> None:
    """PlanError for a --file that selects nothing: a typo must not become a run of 0 jobs."""
    from lab.suites.conformance import matches

    if config.files and not conformance_items:
        raise PlanError("--file selects conformance files or tests: add a conformance suite "
                        "(--suite spec-2.0, spec-3.0 or wasi-p1)")
    names = [name for items in conformance_items.values() for name, _, _ in items]  # (name, size, item)
    for pattern in config.files:
        if not any(matches(name, pattern) for name in names):
            raise PlanError(f"--file {pattern!r} matches no file or test of {', '.join(conformance_items)}")


def _cell_skip(suite: str, payload, runner, status: str, reason: str) -> dict[str, str]:
    """The skip of one cell: its runtime's for the whole suite, else one that depends on the case
    (a user module that needs the bench imports, on a runtime that cannot supply them)."""
    from lab.suites.kinds import suite_kind

    if not status:
        status, reason = suite_kind(suite).case_skip(payload, runner)
    return {"skip_status": status, "skip_reason": reason}


def _skip(suite: str, runner, detection) -> tuple[str, str]:
    """Why a runtime's cells of a suite are recorded without running, if they are."""
    from lab.model import STATUS_SKIPPED, STATUS_UNAVAILABLE
    from lab.suites.kinds import suite_kind

    if not detection.available or runner is None:
        return STATUS_UNAVAILABLE, detection.reason
    if runner.suite_unavailable(suite):
        return STATUS_UNAVAILABLE, runner.suite_unavailable(suite)
    reason = suite_kind(suite).skip_reason(suite, runner)
    return (STATUS_SKIPPED, reason) if reason else ("", "")
