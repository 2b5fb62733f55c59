"""The docker runner's `shim` mode: the module run by a containerd Wasm shim (runwasi's
`containerd-shim-wasmtime-v1`, `-wasmedge-v1`, `-wasmer-v1`) through `ctr run --runtime
io.containerd.<engine>.v1`, so a report can set "Wasm as a container" beside bare wasmtime,
containerized wasmtime and the native container.

No shim is packaged in Debian, PyPI or npm, so on most machines this mode is unavailable, with
the reason and where to get one. Where one is installed: the image is FROM scratch holding only
/module.wasm (built by the docker daemon, then imported into containerd's own `wasmlab`
namespace with `ctr images import`), and each sample is one `ctr run --rm` whose wall time is
measured. The shim, not ctr, runs the module, so user/sys time and peak memory are ctr's own
(the row's memory note says so); wall time is the figure to compare.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

from lab.config import REPO_ROOT
from lab.model import Invocation
from lab.run.measure import ProcessResult, run_process

DOCKERFILE = REPO_ROOT / "runners" / "docker" / "Dockerfile.shim"
IMAGE_REPOSITORY = "wasmlab/wasm"
MODULE = "/module.wasm"
NAMESPACE = "wasmlab"
# (containerd runtime name, the shim binary containerd looks for on PATH), in order of preference
SHIMS = (
    ("io.containerd.wasmtime.v1", "containerd-shim-wasmtime-v1"),
    ("io.containerd.wasmedge.v1", "containerd-shim-wasmedge-v1"),
    ("io.containerd.wasmer.v1", "containerd-shim-wasmer-v1"),
)
# containerd's own socket, then the one dockerd starts when it manages containerd itself
SOCKETS = (Path("/run/containerd/containerd.sock"), Path("/var/run/docker/containerd/containerd.sock"))
IMPORT_TIMEOUT_S = 120
CLEANUP_TIMEOUT_S = 30
RSS_NOTE = "ctr's own memory: the containerd shim runs the module outside the measured process"
INSTALL_HINT = ("build runwasi (https://github.com/containerd/runwasi, `make build-wasmtime && sudo make "
                "install-wasmtime`) and put containerd-shim-wasmtime-v1 on PATH")


class ShimUnavailable(RuntimeError):
    """No usable containerd Wasm shim here; the message says why."""


@dataclass(frozen=True)
class Shim:
    """A containerd Wasm shim that can be driven here."""

    runtime: str  # containerd runtime name, e.g. io.containerd.wasmtime.v1
    binary: Path
    ctr: Path
    socket: Path


def find_shim(path: str | None = None, sockets: tuple[Path, ...] = SOCKETS) -> Shim:
    """The first installed shim with ctr and a containerd socket; ShimUnavailable says which is missing."""
    binaries = [(runtime, shutil.which(name, path=path)) for runtime, name in SHIMS]
    found = [(runtime, Path(binary)) for runtime, binary in binaries if binary]
    if not found:
        names = ", ".join(name for _, name in SHIMS)
        raise ShimUnavailable(f"no containerd Wasm shim on PATH ({names}); none is packaged in Debian, "
                              f"PyPI or npm: {INSTALL_HINT}")
    ctr = shutil.which("ctr", path=path)
    if ctr is None:
        raise ShimUnavailable("ctr (containerd's client) is not on PATH: apt-get install containerd")
    socket = next((s for s in sockets if s.is_socket()), None)
    if socket is None:
        raise ShimUnavailable("no containerd socket at " + " or ".join(map(str, sockets))
                              + ": start containerd (or dockerd, which starts its own)")
    runtime, binary = found[0]
    return Shim(runtime=runtime, binary=binary, ctr=Path(ctr), socket=socket)


def ctr_base(shim: Shim) -> list[str]:
    return [str(shim.ctr), "--address", str(shim.socket), "--namespace", NAMESPACE]


def run_command(shim: Shim, image: str, container: str, invocation: Invocation, container_path,
                workdir: str, memory_limit_bytes: int | None = None) -> list[str]:
    """`ctr run --rm --runtime R --mount ... --env K=V IMAGE NAME /module.wasm ARGS` for one sample.
    Preopens are bind-mounted at container_path(guest), relative ones under `workdir`, where the
    module then runs, as in the container mode; the guest's arguments pass through unchanged."""
    argv = [*ctr_base(shim), "run", "--rm", "--runtime", shim.runtime]  # no network: ctr's default
    if memory_limit_bytes:
        argv += ["--memory-limit", str(memory_limit_bytes)]
    for host, guest in invocation.dirs:
        argv += ["--mount", f"type=bind,src={host},dst={container_path(guest)},options=rbind:rw"]
    if any(not guest.startswith("/") for _, guest in invocation.dirs):
        argv += ["--cwd", workdir]
    for key, value in invocation.env:
        argv += ["--env", f"{key}={value}"]
    return [*argv, image, container, MODULE, *invocation.args]


_IMPORTED: set[tuple[Path, str]] = set()  # (containerd socket, reference) imported by this process


def import_image(shim: Shim, client, tag: str) -> str:
    """Import the docker image `tag` into containerd's namespace once; its reference there."""
    reference = f"docker.io/{tag}"
    if (shim.socket, reference) in _IMPORTED:  # a cell's later samples: no ctr round trip
        return reference
    listed = subprocess.run([*ctr_base(shim), "images", "ls", "-q"], capture_output=True, text=True,
                            timeout=IMPORT_TIMEOUT_S)
    if reference in listed.stdout.split():
        _IMPORTED.add((shim.socket, reference))
        return reference
    archive = b"".join(client.images.get(tag).save(named=True))
    done = subprocess.run([*ctr_base(shim), "images", "import", "-"], input=archive, capture_output=True,
                          timeout=IMPORT_TIMEOUT_S)
    if done.returncode != 0:
        raise ShimUnavailable(f"ctr images import failed: {done.stderr.decode(errors='replace').strip()[-300:]}")
    _IMPORTED.add((shim.socket, reference))
    return reference


def run_sample(shim: Shim, reference: str, invocation: Invocation, limits, container_path,
               workdir: str) -> ProcessResult:
    """One `ctr run --rm` of the module, measured; the container is removed even after a timeout."""
    container = f"wasmlab-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        result = run_process(run_command(shim, reference, container, invocation, container_path, workdir,
                                         limits.memory_limit_bytes),
                             timeout_s=limits.timeout_s, output_cap=limits.output_cap)
    finally:
        for cleanup in (["tasks", "kill", "-s", "SIGKILL", container], ["tasks", "rm", "-f", container],
                        ["containers", "rm", container]):
            subprocess.run([*ctr_base(shim), *cleanup], capture_output=True, timeout=CLEANUP_TIMEOUT_S)
    result.rss_note = RSS_NOTE
    return result
