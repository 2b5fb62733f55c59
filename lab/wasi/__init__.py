"""WASI preview 1 in pure Python, written once for every engine that lacks it (our own
interpreter, wasm3). See preview1.WasiPreview1 for the binding contract."""

from lab.wasi.abi import MODULE_NAME, SIGNATURES
from lab.wasi.errno import Errno, WasiError, errno_from_oserror
from lab.wasi.preview1 import HostFunction, MemoryAccessor, WasiPreview1
from lab.wasi.process_calls import ProcExit
from lab.wasi.stdio import CAPTURE

__all__ = ["CAPTURE", "MODULE_NAME", "SIGNATURES", "Errno", "HostFunction", "MemoryAccessor",
           "ProcExit", "WasiError", "WasiPreview1", "errno_from_oserror"]
