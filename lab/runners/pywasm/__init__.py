"""pywasm: the runner and its spec session."""
