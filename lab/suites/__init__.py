"""Suite loaders: startup, workloads, spec (.wast), wasi (wasi-testsuite)."""
