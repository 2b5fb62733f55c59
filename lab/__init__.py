"""wasmlab: a benchmarking and conformance lab for WebAssembly runtimes."""
