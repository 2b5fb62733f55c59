// The Sightglass benchmark protocol for wasmlab's JavaScript launchers (node, spidermonkey): the
// `bench` imports a module calls around the region it wants timed (see lab/runners/bench_protocol.py).
// `now` is the launcher's monotonic clock in seconds. Several start/end pairs add up; an end
// without a start is ignored.
export function benchRegion(module, now) {
    const used = WebAssembly.Module.imports(module).some(entry => entry.module === 'bench');
    let started = null;
    let total = 0;
    let pairs = 0;
    const imports = {
        start() { started = now(); },
        end() {
            const t = now();
            if (started !== null) {
                total += t - started;
                pairs += 1;
                started = null;
            }
        },
    };
    return {
        used,
        imports,
        // The region replaces the whole-_start execute time; no closed pair, no execute phase.
        report(phases) {
            if (!used)
                return;
            delete phases.execute;
            if (pairs)
                phases.execute = total;
        },
    };
}
