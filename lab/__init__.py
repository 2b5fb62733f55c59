"""wasmlab: a benchmarking and conformance lab for WebAssembly runtimes."""

__version__ = "0.1.0"
