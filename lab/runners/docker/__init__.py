"""The docker runner: daemon setup, the container runner, its cgroup reading, Wasm-in-docker and HTTP containers."""
