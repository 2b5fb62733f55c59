"""Our own WebAssembly engine, in pure Python."""
