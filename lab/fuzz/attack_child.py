"""`python -m lab.fuzz.attack_child MODULE.wasm [--export NAME] [--fuel N] [--max-pages N]
[--max-table N] [--max-depth N]`: load, instantiate and call one export on our engine in a
fresh process, and print one JSON line saying how it ended. The limits tests run hostile modules
through this under lab.run.measure.run_process, so their time and peak memory are the child's own."""

from __future__ import annotations

import argparse
import json
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("module")
    parser.add_argument("--export", default="run")
    parser.add_argument("--fuel", type=int)
    parser.add_argument("--max-pages", type=int)
    parser.add_argument("--max-table", type=int)
    parser.add_argument("--max-depth", type=int)
    options = parser.parse_args(argv)
    from lab.interp import api
    stage = "load"
    try:
        module = api.Module(None, open(options.module, "rb").read())
        stage = "instantiate"
        store = api.Store(fuel=options.fuel, max_memory_pages=options.max_pages,
                          max_table_elements=options.max_table, max_call_depth=options.max_depth)
        instance = api.Instance(store, module, [])
        stage = "call"
        export = instance.exports(store)[options.export]
        if not isinstance(export, api.Func):
            raise SystemExit(f"export {options.export!r} is not a function")
        result = export(store)
        outcome = {"stage": "done", "result": result}
    except api.Trap as trap:
        outcome = {"stage": stage, "error": "Trap", "kind": trap.kind}
    except api.WasmError as error:
        outcome = {"stage": stage, "error": type(error).__name__, "message": str(error)[:300]}
    print(json.dumps(outcome))
    return 0


if __name__ == "__main__":
    sys.exit(main())
