"""wasm3 through pywasm3: the runner and its compatibility checks."""
