"""Runtime adapters: one module per runtime, all behind lab.runners.base.Runner."""
