"""wasmer: Wasmer through PyPI `wasmer-sdk`, in a fresh child process per sample
(`python -m lab.runners.wasmer_runner`).

wasmer-sdk is a sandbox SDK, not a plain embedding: a module becomes a package, and a command of
that package runs inside a sandbox with its own virtual filesystem (WASIX, a superset of WASI
preview 1). The SDK only lets the host write under `/workspace`, so each preopened folder is copied
in as the package's files at its guest path (e.g. /data/input.txt); the guest may write there, but
its writes stay in the sandbox's private overlay and are not copied back to the host folder. Empty
folders and symlinks cannot be expressed as package files and are left out.

Engine: the SDK's `sys` backend with the Cranelift compiler (its compiled-module cache is under
`cranelift/`); V8 is in the wheel only for N-API guests. The compiled-module cache goes to a fresh
folder per process, so every sample compiles cold. Phases: `sandbox` (package and sandbox creation,
inputs included) and `execute` (the command's run: compile, instantiate and _start, which the SDK
does not separate).
"""

from __future__ import annotations

import posixpath
import re
import sys
from functools import lru_cache
from pathlib import Path

from lab.model import Detection, Invocation
from lab.runners.base import Runner, detect_python_package, wasi_flags

PROG = "python -m lab.runners.wasmer_runner"
MODE = "cranelift"
COMMAND = "main"
OUTPUT_LIMIT = 256 << 20  # the harness caps and counts output itself; do not truncate before it


class WasmerRunner(Runner):
    id = "wasmer"
    description = "Wasmer (PyPI wasmer-sdk, Cranelift) in a sandbox with its own filesystem"
    install_hint = "pip install wasmer-sdk"

    def detect(self) -> Detection:
        return detect_python_package(self, "wasmer-sdk", "wasmer_sdk", [MODE],
                                     lambda version, sdk: f"wasmer-sdk {version}{_engine_build(sdk.__file__)}")

    def command(self, invocation: Invocation, mode: str) -> list[str]:
        return [sys.executable, "-m", "lab.runners.wasmer_runner", *wasi_flags(invocation), str(invocation.wasm),
                *invocation.args]


@lru_cache(maxsize=1)
def _engine_build(package_init: str) -> str:
    """" (wasmer <commit>)": the Wasmer source the SDK's native library was built from, read from the
    build paths it carries; "" when they are not there."""
    library = next(Path(package_init).parent.glob("libwasmer_sdk*.so"), None)
    if library is None:
        return ""
    pattern = re.compile(rb"checkouts/wasmer-[0-9a-f]+/([0-9a-f]{7,40})/")
    overlap = b""
    with open(library, "rb") as handle:
        while chunk := handle.read(16 << 20):
            found = pattern.search(overlap + chunk)
            if found:
                return f" (wasmer {found.group(1).decode()})"
            overlap = chunk[-128:]
    return ""


def package_files(dirs: tuple[tuple[str, str], ...]) -> dict[str, bytes]:
    """Every regular file under each preopened host folder, keyed by its guest path."""
    files: dict[str, bytes] = {}
    for host, guest in dirs:
        root = Path(host)
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                # Wasmer takes canonical absolute guest paths only; its sandbox's working
                # directory is /, so a guest path of "." (or "./x") lands there.
                files[posixpath.normpath(posixpath.join("/", guest, path.relative_to(root).as_posix()))] = \
                    path.read_bytes()
    return files


async def _pump(stream, sink) -> None:
    if stream is None:
        return
    async for chunk in stream:
        sink.write(chunk)
        sink.flush()


async def run_guest(guest, phases: dict[str, float]) -> int:
    """Run the guest in a fresh sandbox with the process's stdout and stderr; its exit code."""
    import asyncio
    import tempfile
    import time

    import wasmer_sdk

    from lab.protocol.phases import TRAP_EXIT_CODE
    from lab.runners.refusals import LINK_ERROR_EXIT_CODE, unknown_import

    wasm = Path(guest.module).read_bytes()
    with tempfile.TemporaryDirectory(prefix="wasmlab-wasmer-cache-") as cache:
        start = time.perf_counter()
        async with wasmer_sdk.Wasmer(cache_root=cache, output_bytes=OUTPUT_LIMIT) as wasmer:
            package = await wasmer.packages.create(wasmer_sdk.PackageDefinition(
                modules={COMMAND: wasm}, commands={COMMAND: wasmer_sdk.PackageCommandDefinition(module=COMMAND)},
                files=package_files(guest.dirs)))
            async with await wasmer.sandboxes.create(packages=[package]) as sandbox:
                phases["sandbox"] = time.perf_counter() - start
                start = time.perf_counter()
                try:
                    process = await sandbox.command(package, guest.args, env=guest.env).spawn(stdin="closed")
                    await asyncio.gather(_pump(process.stdout, sys.stdout.buffer),
                                         _pump(process.stderr, sys.stderr.buffer))
                    output = await process.wait()
                except wasmer_sdk.WasmerError as error:
                    if error.code != "EXECUTION_ERROR":
                        raise
                    missing = unknown_import(str(error))  # wasmer files a link failure as an execution error
                    if missing:
                        print(f"wasmer: {missing}", file=sys.stderr)
                        return LINK_ERROR_EXIT_CODE
                    # The SDK has already printed the trap's backtrace; one line is enough here.
                    print(f"wasm trap: {str(error).splitlines()[0]}", file=sys.stderr)
                    return TRAP_EXIT_CODE
                finally:
                    phases["execute"] = time.perf_counter() - start
    if output.reason is not wasmer_sdk.ExitReason.EXITED:
        print(f"wasmer: the guest did not exit normally ({output.reason.value})", file=sys.stderr)
        return TRAP_EXIT_CODE
    return output.exit_code


def main(argv: list[str] | None = None) -> int:
    import asyncio

    import wasmer_sdk

    from lab.protocol.phases import write_phases
    from lab.runners.guest_args import parse_guest_args

    guest = parse_guest_args(PROG, argv)
    phases: dict[str, float] = {}
    try:
        code = asyncio.run(run_guest(guest, phases))
    except OSError as error:
        print(f"wasmer: cannot read {error.filename}: {error.strerror}", file=sys.stderr)
        return 1
    except wasmer_sdk.WasmerError as error:
        print(f"wasmer: {error} ({error.code})", file=sys.stderr)
        return 1
    write_phases(phases)
    return code


if __name__ == "__main__":
    sys.exit(main())
