// Runs a WASI preview 1 command module on SpiderMonkey (through gjs) for wasmlab's `spidermonkey`
// runner, with the WASI of ./wasi/. Times compile, instantiate and execute and reports them
// through $WASMLAB_PHASES_FILE (a module importing bench.start/bench.end gets them from
// ../bench/region.mjs, and execute is their region); exits with the guest's exit code (134 after a trap).
// usage: gjs -m run-wasi.js MODULE.wasm PREOPENS_JSON ENV_JSON [ARGS...]
//        PREOPENS_JSON is [[guest path, host folder], ...] (fds 3, 4, ... in that order)
//        gjs -m run-wasi.js --version     prints "A.B.C (gjs X.Y.Z)": SpiderMonkey's version, then gjs's
import GLib from 'gi://GLib';
import System from 'system';
import { ProcExit, WasiPreview1 } from './wasi/preview1.js';
import { benchRegion } from '../bench/region.mjs';

const TRAP_EXIT_CODE = 134;
const ERROR_EXIT_CODE = 1;

// The SpiderMonkey release gjs runs on, read from the mozjs library mapped into this process.
function spiderMonkeyVersion() {
    const maps = new TextDecoder().decode(GLib.file_get_contents('/proc/self/maps')[1]);
    const found = maps.match(/libmozjs-\d+\.so(?:\.(\d+(?:\.\d+)*))?/);
    return found ? (found[1] ?? found[0]) : 'unknown';
}

function gjsVersion() {
    const v = System.version;  // e.g. 17402 for 1.74.2
    return `${Math.floor(v / 10000)}.${Math.floor(v / 100) % 100}.${v % 100}`;
}

const seconds = since => (GLib.get_monotonic_time() - since) / 1e6;

function fail(message) {
    printerr(message);
    System.exit(ERROR_EXIT_CODE);
}

function main([modulePath, preopensJson, envJson, ...guestArgs]) {
    if (modulePath === '--version') {
        print(`${spiderMonkeyVersion()} (gjs ${gjsVersion()})`);
        return 0;
    }
    let bytes;
    try {
        bytes = GLib.file_get_contents(modulePath)[1];
    } catch (error) {
        fail(`spidermonkey: cannot read ${modulePath}: ${error.message}`);
    }
    const wasi = new WasiPreview1([modulePath.split('/').pop(), ...guestArgs], JSON.parse(envJson),
        JSON.parse(preopensJson));
    const phases = {};
    let start = GLib.get_monotonic_time();
    let instance;
    let module;
    let bench = null;
    const imports = { wasi_snapshot_preview1: wasi.imports() };
    try {
        module = new WebAssembly.Module(bytes);
        phases.compile = seconds(start);
        bench = benchRegion(module, () => GLib.get_monotonic_time() / 1e6);
        start = GLib.get_monotonic_time();
        if (bench.used)
            imports.bench = bench.imports;
        instance = new WebAssembly.Instance(module, imports);
        phases.instantiate = seconds(start);
    } catch (error) {
        // SpiderMonkey names the module only: say which import, in the lab's words.
        const missing = module && WebAssembly.Module.imports(module).find(
            i => !(imports[i.module] && i.name in imports[i.module]));
        fail(missing ? `spidermonkey: unknown import ${missing.module}.${missing.name}`
            : `spidermonkey: cannot load ${modulePath}: ${error}`);
    }
    wasi.memory = instance.exports.memory;
    start = GLib.get_monotonic_time();
    let code = 0;
    try {
        instance.exports._start();
    } catch (error) {
        if (error instanceof ProcExit) {
            code = error.code;
        } else {
            printerr(`wasm trap: ${error}`);
            code = TRAP_EXIT_CODE;
        }
    }
    phases.execute = seconds(start);
    bench.report(phases);
    const phasesFile = GLib.getenv('WASMLAB_PHASES_FILE');
    if (phasesFile)
        GLib.file_set_contents(phasesFile, JSON.stringify(phases));
    return code;
}

System.exit(main(System.programArgs));
