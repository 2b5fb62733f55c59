"""Runtime adapters, all behind lab.runners.base.Runner: one module per runtime, or a package when
a runtime needs several (wasmtime/, wasm3/, pywasm/, interp/, docker/); every runner class is
listed once, in lab.runners.registry."""
