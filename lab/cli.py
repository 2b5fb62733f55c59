"""The `wasmlab` command: argument parsing and printing only. Every command calls a plain
function elsewhere in `lab`, which the tests call directly."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path

from lab.errors import LabError
from lab.model import PROCESS_METRICS, SIZES, SUITE_IDS

EPILOG = """\
examples:
  wasmlab doctor                                  what can run here, and how to install the rest
  wasmlab run                                     startup + workloads (small) on every available runtime
  wasmlab run --suite spec-2.0 --runtime interp wasmtime
  wasmlab run --suite workloads --size small medium --repeat 10 --runtime wasmtime-cli:pulley native
  wasmlab run --resume results/20261125-101500-ab12cd
  wasmlab summary results/20261125-101500-ab12cd --json
  wasmlab compare results/RUN_A results/RUN_B --threshold 0.05 --fail-on-regression
  wasmlab versus results/20261125-101500-ab12cd --base wasm3   how far each runtime is from wasm3
  wasmlab report results/RUN_B --baseline results/RUN_A --out reports/out
  wasmlab exec --runtime node --dir ./data::/data prog.wasm -- --input /data/in.txt

test data (spec and WASI testsuites): --data DIR or WASMLAB_DATA=DIR, default ../shared/data
"""


class RuntimeIdsHelp(str):
    """A help text followed by the runtime ids, read from the registry only when help is printed
    (argparse formats help with `%`): importing every runner module would cost each CLI start
    about 80 ms."""

    def __mod__(self, params: object) -> str:
        from lab.runners.registry import RUNTIME_IDS
        return str.__mod__(str(self), params) + ", ".join(RUNTIME_IDS)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wasmlab", description="Benchmarking and conformance lab for WebAssembly runtimes.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", metavar="DIR", help="folder holding the spec and WASI testsuites "
                        "(default: $WASMLAB_DATA, else ../shared/data beside the checkout)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    doctor = commands.add_parser("doctor", help="list runtimes, hosts and toolchains and whether they work here")
    doctor.add_argument("--json", action="store_true", help="machine-readable output")
    doctor.add_argument("--host", default="local", help="show runtimes as they are on this host (default: local)")

    run = commands.add_parser("run", help="run suites on runtimes into a run folder",
                              description="Plan suites x runtimes x sizes, run every job in fresh processes, "
                              "and write one run folder (manifest + Parquet). Prints the run folder last.")
    run.add_argument("--suite", action="extend", nargs="+", metavar="SUITE|DIR",
                     help=f"suites to run (default: startup workloads); any of: {', '.join(SUITE_IDS)}, "
                     "or a folder of your own *.wasm modules (with an optional suite.toml)")
    run.add_argument("--module", action="extend", nargs="+", metavar="FILE.wasm",
                     help="one of your own WASI command modules to run as a case (repeatable)")
    run.add_argument("--runtime", action="extend", nargs="+", metavar="RUNTIME[:MODE]",
                     help=RuntimeIdsHelp("runtimes to run, optionally with a mode (default: every available "
                                         "runtime); ids: "))
    run.add_argument("--allow-unavailable", action="store_true",
                     help="record a named runtime that is not available here as unavailable cells with the "
                     "reason, instead of refusing the run (the nightly matrix names wasmedge and spin everywhere)")
    run.add_argument("--skip-runtime", action="extend", nargs="+", metavar="RUNTIME",
                     help="leave these runtimes out (e.g. pywasm, which needs minutes per sample at medium)")
    run.add_argument("--size", action="extend", nargs="+", choices=SIZES, metavar="SIZE",
                     help="workload sizes (default: small); small, medium or large")
    run.add_argument("--workload", action="extend", nargs="+", metavar="NAME",
                     help="only these workloads of the workloads suite")
    run.add_argument("--file", action="extend", nargs="+", metavar="NAME",
                     help="only these conformance files or tests (e.g. i32.wast)")
    run.add_argument("--repeat", type=int, default=5, help="counted samples per cell (default 5)")
    run.add_argument("--warmup", type=int, default=1,
                     help="warm-up samples per cell, recorded but not counted (default 1)")
    run.add_argument("--samples-for", action="extend", nargs="+", metavar="RUNTIME=REPEAT/WARMUP",
                     help="other counts for some runtimes, e.g. pywasm=1/0 (one counted sample, no warm-up) "
                     "for a slow reference while the others keep --repeat and --warmup")
    run.add_argument("--parallel", action="extend", nargs="+", metavar="RUNTIME=JOBS",
                     help="run JOBS of this runtime's jobs at a time, after every other job has run alone "
                     "(e.g. pywasm=2 for a slow reference whose cells are mostly timeouts: the run takes "
                     "hours less, and the other runtimes are still timed on an otherwise idle machine)")
    run.add_argument("--instructions", action="store_true",
                     help="also count each cell's instructions in one more sample under valgrind (about 100x "
                     "slower than a timed sample): a metric the machine's load cannot move, for small sizes")
    run.add_argument("--http-requests", type=int, default=2000, metavar="N",
                     help="http suite: requests per sample's load, at most (default 2000)")
    run.add_argument("--http-concurrency", type=int, default=8, metavar="N",
                     help="http suite: connections kept busy at once (default 8)")
    run.add_argument("--http-seconds", type=float, default=10.0, metavar="SECONDS",
                     help="http suite: time budget of a sample's load (default 10)")
    run.add_argument("--instructions-size", action="extend", nargs="+", metavar="SIZE",
                     help="count instructions only in cells of these sizes (implies --instructions; "
                     "startup's cells are always counted), e.g. small in a run that also times medium")
    run.add_argument("--timeout", type=float, default=120.0, metavar="SECONDS",
                     help="wall-clock limit per process; the whole process group is killed (default 120)")
    run.add_argument("--timeout-for", action="extend", nargs="+", metavar="RUNTIME=SECONDS",
                     help="another per-process limit for some runtimes, e.g. pywasm=10: a slow reference's "
                     "timed-out cells still count, as 'at least N times slower' bounds")
    run.add_argument("--memory-limit", type=int, default=8192, metavar="MIB",
                     help="data-segment limit per process (default 8192)")
    run.add_argument("--host", action="extend", nargs="+", metavar="HOST",
                     help="hosts to run on (default: local); arm64-emulated runs aarch64 builds under qemu-user")
    run.add_argument("--local-name", default="", metavar="NAME",
                     help="name of the local host in the results (CI: one per machine, so shards merge cleanly)")
    run.add_argument("--shard", metavar="I/N", help="run only shard I of N of the plan (CI matrices)")
    run.add_argument("--out", type=Path, default=Path("results"), metavar="DIR",
                     help="results folder (default ./results)")
    run.add_argument("--resume", metavar="RUN", help="finish an interrupted run (its own configuration is used)")
    run.add_argument("--quiet", action="store_true", help="no progress output")
    run.add_argument("--dry-run", action="store_true",
                     help="print what the run (or with --resume, the rest of it) would do, and exit")

    summary = commands.add_parser("summary", help="every cell of a run: n, median, 99%% interval, status",
                                  description="Every cell of a run (n, median, 99%% interval, status) and its "
                                  "conformance counts; --pivot shows one metric as a cases x runtimes table.")
    summary.add_argument("run", help="run folder (or run id under ./results)")
    summary.add_argument("--runtime", action="extend", nargs="+", metavar="RUNTIME[:MODE]", help="only these runtimes")
    summary.add_argument("--suite", action="extend", nargs="+", choices=SUITE_IDS, metavar="SUITE",
                         help="only these suites")
    summary.add_argument("--metric", action="extend", nargs="+", metavar="METRIC",
                         help="only these metrics: wall_time, user_time, sys_time, peak_rss, or a phase such as "
                         "compile_time")
    summary.add_argument("--pivot", action="store_true",
                         help="cases x runtimes, one metric (the first --metric, default wall_time)")
    summary.add_argument("--json", action="store_true", help="machine-readable output")

    execute = commands.add_parser("exec", help="run one WASI command module on one runtime",
                                  description="Run any WASI command module on any runtime with the guest's own "
                                  "stdin/stdout/stderr; exits with the guest's exit code.")
    execute.add_argument("--runtime", required=True, metavar="RUNTIME[:MODE]", help=RuntimeIdsHelp("one of: "))
    execute.add_argument("--env", action="append", default=[], metavar="K=V", help="environment variable for the guest")
    execute.add_argument("--dir", action="append", default=[], metavar="HOST[::GUEST]", help="preopen a host folder")
    execute.add_argument("--timeout", type=float, metavar="SECONDS", help="kill the guest after this long")
    execute.add_argument("module", type=Path, help="the .wasm module (a native executable for --runtime native)")
    execute.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the guest (after --)")

    merge = commands.add_parser("merge", help="join shard runs (several hosts or shards) into one run",
                                description="Join shard runs of one configuration into one run folder. Refuses "
                                "shards of different configurations, unfinished shards, overlaps and missing shards.")
    merge.add_argument("runs", nargs="+", metavar="RUN", help="shard run folders")
    merge.add_argument("--out", type=Path, default=Path("results"), metavar="DIR",
                       help="results folder (default ./results)")
    merge.add_argument("--allow-partial", action="store_true", help="merge even when some shards are missing")

    matrix = commands.add_parser("matrix", help="the nightly CI matrix as JSON (from suites/ci/nightly.toml)")
    matrix.add_argument("--file", type=Path, help="another matrix file")

    compare = commands.add_parser("compare", help="what changed from run A to run B: ratios, significance, regressions",
                                  description="Per cell the ratio B/A of medians with a 99% interval and a "
                                  "Mann-Whitney U test; a regression is significant (p < alpha) and slower by more "
                                  "than the threshold. "
                                  "Conformance commands that passed in A and fail in B are listed.")
    compare.add_argument("run_a", metavar="RUN_A", help="baseline run folder (or run id under ./results)")
    compare.add_argument("run_b", metavar="RUN_B", help="run to judge against the baseline")
    compare.add_argument("--threshold", type=float, default=0.05,
                         help="smallest change that counts, as a fraction (default 0.05)")
    compare.add_argument("--alpha", type=float, default=0.01, help="significance level of the test (default 0.01)")
    compare.add_argument("--metric", action="extend", nargs="+", metavar="METRIC",
                         help="only these metrics (wall_time, user_time, sys_time, peak_rss, time); default all")
    compare.add_argument("--verdicts", choices=("relative", "absolute"), default="relative",
                         help="relative (default): judge CPU time as a ratio to --reference measured in the same "
                         "run, which holds when the machine's load differs between the runs; absolute: judge every "
                         "metric on its own values")
    compare.add_argument("--reference", default="native", metavar="RUNTIME[:MODE]",
                         help="the runtime relative verdicts divide by (default native)")
    compare.add_argument("--fail-on-regression", action="store_true", help="exit with 1 when anything regressed")
    compare.add_argument("--json", action="store_true", help="machine-readable output")

    versus = commands.add_parser(
        "versus", help="every runtime of a run against one base runtime: per-case ratios and geometric means",
        description="Per case, median(runtime) / median(base) with a 99%% interval; per runtime, the geometric "
        "mean over the cases where both sides are ok, with a bootstrap interval. Above 1 means slower (or, for "
        "peak_rss, bigger) than the base.")
    versus.add_argument("run", help="run folder (or run id under ./results)")
    versus.add_argument("--base", required=True, metavar="RUNTIME[:MODE]", help="the runtime the others are divided by")
    versus.add_argument("--metric", default="wall_time", choices=PROCESS_METRICS,
                        help="process metric to compare (default wall_time)")
    versus.add_argument("--suite", default="workloads", choices=["startup", "workloads", "user"],
                        help="measured suite (default workloads; user: your own modules of run --suite DIR)")
    versus.add_argument("--phase", default="process", choices=["process", "compile", "instantiate", "execute"],
                        help="an in-process phase instead of the process metric (execute: the bench region "
                        "of a Sightglass-protocol module)")
    versus.add_argument("--json", action="store_true", help="machine-readable output")

    report = commands.add_parser(
        "report", help="render a static HTML site (overview, conformance, workloads, comparison, history)")
    report.add_argument("runs", nargs="+", metavar="RUN",
                        help="run folders; each suite shows its newest run, several runs add a history page")
    report.add_argument("--baseline", metavar="RUN", help="add a comparison page against this run")
    report.add_argument("--verdicts", choices=("relative", "absolute"), default="relative",
                        help="how the comparison page judges (see `compare --verdicts`; default relative, "
                        "absolute where native is not in both runs)")
    report.add_argument("--out", type=Path, default=Path("reports/out"), metavar="DIR",
                        help="output folder (default reports/out)")

    imported = commands.add_parser(
        "import-benchmark", help="store a pytest-benchmark JSON file (benchmarks/engine) as a run")
    imported.add_argument("file", metavar="FILE.json", help="pytest-benchmark --benchmark-json output")
    imported.add_argument("--out", type=Path, default=Path("results"), metavar="DIR",
                          help="results folder (default results/)")

    build = commands.add_parser("build", help="build the workload and startup programs for every target")
    build.add_argument("--target", action="extend", nargs="+", metavar="TARGET",
                       help="wasm32-wasi, x86_64-linux-musl, aarch64-linux-musl (default: all)")
    build.add_argument("--workload", action="extend", nargs="+", metavar="NAME", help="only these workloads")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    options = parser.parse_args(argv)
    if options.data:
        os.environ["WASMLAB_DATA"] = str(Path(options.data).resolve())
    if not options.command:
        parser.print_help()
        return 2
    handler = {"doctor": cmd_doctor, "run": cmd_run, "summary": cmd_summary, "exec": cmd_exec,
               "build": cmd_build, "merge": cmd_merge, "matrix": cmd_matrix,
               "compare": cmd_compare, "versus": cmd_versus, "report": cmd_report,
               "import-benchmark": cmd_import_benchmark}[options.command]
    _unwind_on_termination()
    try:
        return handler(options)
    except Terminated as stop:
        print(f"wasmlab: terminated by {signal.Signals(stop.signum).name}", file=sys.stderr)
        return 128 + stop.signum
    except KeyboardInterrupt:
        print("wasmlab: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`wasmlab summary RUN | head`): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit flush is quiet
        return 0
    except LabError as error:  # what the user can fix: one line
        print(f"wasmlab: error: {error}", file=sys.stderr)
        return error.exit_code  # 2, or exec's 124 for a timeout
    except Exception as error:  # a bug of ours: one line too, with its type
        if os.environ.get("WASMLAB_DEBUG"):
            raise
        print(f"wasmlab: internal error: {type(error).__name__}: {error} (set WASMLAB_DEBUG=1 for a traceback)",
              file=sys.stderr)
        return 70


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP: a CI job cancelled, a terminal closed, a plain `kill`. Unwound like
    Ctrl-C, so the runtime being measured is killed with its process group and the run is marked
    interrupted. Python's default would end the harness at once and orphan the runtime, which
    runs in its own session and would keep a core busy until its own timeout."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _unwind_on_termination() -> None:
    def unwind(signum: int, _frame) -> None:
        raise Terminated(signum)

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, unwind)


def cmd_doctor(options) -> int:
    from lab.doctor import doctor_report, format_report

    report = doctor_report(options.host)
    print(json.dumps(report, indent=2) if options.json else format_report(report))
    return 0


def cmd_run(options) -> int:
    from lab.analysis.summary import summarize
    from lab.analysis.summary_pivot import format_pivot
    from lab.run.orchestrate import plan_resume, plan_run, resume_run, start_run
    from lab.run.plan import RunConfig, parse_shard
    from lab.run.preview import format_preview, preview_rows
    from lab.run.progress import Progress
    from lab.suites.user_suite import suite_selection

    suites, user_suites, user_modules = suite_selection(options.suite or [], options.module or [],
                                                        ("startup", "workloads"))
    config = None if options.resume else RunConfig(
        suites=suites, user_suites=user_suites, user_modules=user_modules,
        runtimes=tuple(options.runtime or ()), skip_runtimes=tuple(options.skip_runtime or ()),
        sizes=tuple(options.size or ("small",)),
        repeat=options.repeat, warmup=options.warmup, timeout_s=options.timeout,
        memory_limit_mb=options.memory_limit, workloads=tuple(options.workload or ()),
        files=tuple(options.file or ()), hosts=tuple(options.host or ("local",)),
        local_name=options.local_name, samples_for=tuple(options.samples_for or ()),
        parallel=tuple(options.parallel or ()), allow_unavailable=options.allow_unavailable,
        timeout_for=tuple(options.timeout_for or ()),
        instructions=options.instructions or bool(options.instructions_size),
        instruction_sizes=tuple(options.instructions_size or ()),
        http_requests=options.http_requests, http_concurrency=options.http_concurrency,
        http_seconds=options.http_seconds,
        shard=parse_shard(options.shard) if options.shard else (1, 1))
    if options.dry_run:
        plan, finished = plan_resume(options.resume) if config is None else (plan_run(config)[1], set())
        print(format_preview(preview_rows(plan, finished)))
        return 0
    if config is not None and not options.quiet:
        from lab.suites.user_suite import config_notes
        for line in config_notes(config.user_suites, config.user_modules, config.sizes):
            print(line, file=sys.stderr)
    progress = None if options.quiet else Progress(sys.stderr)
    try:
        run = resume_run(options.resume, progress) if config is None else start_run(config, options.out, progress)
    finally:
        if progress:
            progress.close()  # ends the terminal line even when the run is interrupted
    if not options.quiet:
        print(format_pivot(summarize(run)), file=sys.stderr)
        print(f"every cell, with intervals and reasons: wasmlab summary {run.path} "
              "(--runtime, --suite, --metric; --pivot)", file=sys.stderr)
    print(run.path)
    return 0


def cmd_summary(options) -> int:
    from lab.analysis.summary import format_table, summarize
    from lab.analysis.summary_pivot import filter_summary, format_pivot
    from lab.store import open_run

    summary = filter_summary(summarize(open_run(options.run)), tuple(options.runtime or ()),
                             tuple(options.suite or ()), tuple(options.metric or ()))
    if options.json:
        print(json.dumps(summary, indent=2))
    elif options.pivot:
        print(format_pivot(summary, (options.metric or ["wall_time"])[0]))
    else:
        print(format_table(summary))
    return 0


def cmd_exec(options) -> int:
    from lab.exec_guest import exec_guest
    from lab.run.plan import parse_runtime_spec

    runtime, mode = parse_runtime_spec(options.runtime)
    args = options.args[1:] if options.args[:1] == ["--"] else options.args
    return exec_guest(runtime, options.module, args, env=options.env, dirs=options.dir, mode=mode,
                      timeout_s=options.timeout)


def cmd_import_benchmark(options) -> int:
    from lab.import_benchmark import import_benchmark

    print(import_benchmark(options.file, options.out).path)
    return 0


def cmd_merge(options) -> int:
    from lab.merge import merge_runs

    print(merge_runs(options.runs, options.out, options.allow_partial).path)
    return 0


def cmd_matrix(options) -> int:
    from lab.matrix import NIGHTLY, matrix

    print(json.dumps(matrix(options.file or NIGHTLY)))
    return 0


def cmd_compare(options) -> int:
    from lab.analysis.compare import compare_runs, comparison_dict, format_comparison

    comparison = compare_runs(options.run_a, options.run_b, threshold=options.threshold, alpha=options.alpha,
                              metrics=tuple(options.metric or ()), verdicts=options.verdicts,
                              reference=options.reference)
    print(json.dumps(comparison_dict(comparison), indent=2) if options.json else format_comparison(comparison))
    return 1 if options.fail_on_regression and comparison.has_regressions else 0


def cmd_versus(options) -> int:
    from lab.analysis.versus import format_versus, versus, versus_dict
    from lab.store import open_run

    result = versus(open_run(options.run), options.base, metric=options.metric, suite=options.suite,
                    phase=options.phase)
    print(json.dumps(versus_dict(result), indent=2) if options.json else format_versus(result))
    return 0


def cmd_report(options) -> int:
    from lab.report import build_site

    print(build_site(options.runs, baseline=options.baseline, out=options.out, verdicts=options.verdicts))
    return 0


def cmd_build(options) -> int:
    from lab.hosts.build import build_programs

    for line in build_programs(targets=tuple(options.target or ()), workloads=tuple(options.workload or ())):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
