"""How each server of the http suite serves one wasi:http handler component on 127.0.0.1:PORT.

    wasmtime-cli  wasmtime serve (-S cli: componentize-py's handlers import wasi:cli), compile cache off
    node          jco serve --isolate-requests instance: transpiles the component, then a fresh
                  instance per request; Node before 22 needs --experimental-wasm-extended-const
                  (CPython built for wasm uses extended constant expressions)
    spin          spin up on a manifest whose one component is the same handler
    native        the handler's own Python function under CPython's HTTP server (lab.http.native_server)
    docker        that native server in a container (lab.runners.docker.http)

The server runs in its own session, so stopping it kills every process it started (jco serve's
node child included), whatever ends the sample: an error, a timeout or Ctrl-C.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lab.hosts import npm_tools
from lab.runners import spin
from lab.runners.server_probe import GroupUsage, group_usage
from lab.runners.spin import _data_limit, _kill_group  # spin's own server is stopped the same way
from lab.runners.wasmtime.cli import MODE_FLAGS, find_wasmtime_binary

HTTP_SERVERS = ("wasmtime-cli", "node", "spin", "native", "docker")
NODE_EXTENDED_CONST_MAJOR = 22  # from here V8 has extended constant expressions on by default
SPIN_MANIFEST = """spin_manifest_version = 2
[application]
name = "wasmlab-http"
[[trigger.http]]
route = "/..."
component = "handler"
[component.handler]
source = "{source}"
"""


class ServerUnavailable(RuntimeError):
    """This server cannot serve the handler here; the message says why."""


@dataclass(frozen=True)
class ServerCommand:
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    rss_note: str = ""


def _node_major() -> int:
    from lab.runners.node import _node_version

    version = _node_version("node")
    return int(version.split(".")[0]) if version.split(".")[0].isdigit() else 0


def server_command(runtime: str, mode: str, handler: str, component: Path, port: int, folder: Path) -> ServerCommand:
    """The command that serves handler `handler` (built as `component`) on 127.0.0.1:port
    (folder: the sample's scratch space)."""
    address = f"127.0.0.1:{port}"
    if runtime == "wasmtime-cli":
        binary, reason = find_wasmtime_binary()
        if binary is None:
            raise ServerUnavailable(reason)
        return ServerCommand([str(binary), "serve", *MODE_FLAGS.get(mode, MODE_FLAGS["cranelift"]), "-S", "cli",
                              "--addr", address, str(component)])
    if runtime == "node":
        flags = "--experimental-wasm-extended-const" if _node_major() < NODE_EXTENDED_CONST_MAJOR else ""
        return ServerCommand([str(npm_tools.jco()), "serve", "--host", "127.0.0.1", "--port", str(port),
                              "--isolate-requests", "instance", "--jco-dir", str(folder / "jco"), str(component)],
                             env={"JCO_RUN_ARGS": flags} if flags else {},
                             rss_note="sum of the peak RSS of jco serve and the node server it starts")
    if runtime == "spin":
        spin_binary = spin.find_spin()
        if spin_binary is None:
            raise ServerUnavailable(f"spin not on PATH; install: {spin.INSTALL_COMMAND}")
        manifest = folder / "spin.toml"
        manifest.write_text(SPIN_MANIFEST.format(source=component))
        return ServerCommand(spin.build_up_command(spin_binary, manifest, port),
                             rss_note="sum of the peak RSS of spin's processes")
    if runtime == "native":
        return ServerCommand([sys.executable, "-m", "lab.http.native_server", handler, str(port)])
    raise ServerUnavailable(f"{runtime} does not serve wasi:http handlers; servers: {', '.join(HTTP_SERVERS)}")


@contextmanager
def serving(command: ServerCommand, folder: Path, memory_limit_bytes: int | None) -> Iterator[subprocess.Popen]:
    """The running server; its whole session is killed when the block ends, however it ends."""
    log = open(folder / "server-stderr.log", "w+b")
    server = subprocess.Popen(command.argv, cwd=folder, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=log, start_new_session=True, env={**os.environ, **command.env},
                              preexec_fn=_data_limit(memory_limit_bytes))
    try:
        yield server
    finally:
        _kill_group(server)
        log.close()


@dataclass
class RunningServer:
    """A started server: `process` answers poll() (for the first-response wait), `usage()` reads
    its memory and CPU time before it is stopped."""

    process: Any
    usage: Callable[[], GroupUsage]
    rss_note: str


@contextmanager
def start_server(runtime: str, mode: str, handler: str, component: Path, port: int, folder: Path,
                 memory_limit_bytes: int | None) -> Iterator[RunningServer]:
    """The server of `runtime` serving the handler on 127.0.0.1:port, stopped when the block ends."""
    if runtime == "docker" and mode == "wasmtime":
        raise ServerUnavailable("docker:wasmtime does not serve the http suite yet: wasmtime serve inside a "
                                "container is not built; docker:container serves the native twin")
    if runtime == "docker":
        from lab.runners.docker import http as http_container

        with http_container.serving_in_container(handler, port, memory_limit_bytes) as container:
            yield RunningServer(container, container.usage, http_container.RSS_NOTE)
        return
    command = server_command(runtime, mode, handler, component, port, folder)
    with serving(command, folder, memory_limit_bytes) as server:
        yield RunningServer(server, lambda: group_usage(server.pid), command.rss_note)


def stderr_tail(folder: Path) -> str:
    try:
        return (folder / "server-stderr.log").read_text(errors="replace").strip()[-300:]
    except OSError:
        return ""
