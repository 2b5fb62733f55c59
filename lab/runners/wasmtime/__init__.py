"""wasmtime: embedded (Python bindings), CLI, components, and its spec session."""
