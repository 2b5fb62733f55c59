"""Our engine (lab.interp) as a runtime: the runner and its spec session."""
