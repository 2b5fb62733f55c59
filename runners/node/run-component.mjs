// Runs a WASI 0.2 command component on V8, for wasmlab's `node` runner: the component was
// transpiled by `jco transpile` (lab.hosts.components.transpiled_for) and runs on jco's preview2 shim.
// usage: node run-component.mjs COMPONENT.js SHIM_DIR PREOPENS_JSON ENV_JSON [ARGS...]
// Reports "load" (the transpiled module compiles and instantiates its core modules while it is
// imported) and "execute" (wasi:cli/run) through $WASMLAB_PHASES_FILE.
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { pathToFileURL } from 'node:url';

const [entry, shimDir, preopensJson, envJson, ...guestArgs] = process.argv.slice(2);
// The same files the transpiled module imports, so these settings reach the guest.
const cli = await import(pathToFileURL(`${shimDir}/dist/nodejs/cli.js`));
const filesystem = await import(pathToFileURL(`${shimDir}/dist/nodejs/filesystem.js`));
cli._setArgs([entry.split('/').pop(), ...guestArgs]);
cli._setEnv(JSON.parse(envJson));
filesystem._setPreopens(JSON.parse(preopensJson));

let t = performance.now();
const component = await import(pathToFileURL(entry));
const load = performance.now() - t;
const writePhases = (execute) => {
  if (process.env.WASMLAB_PHASES_FILE) {
    writeFileSync(process.env.WASMLAB_PHASES_FILE, JSON.stringify({ load: load / 1000, execute: execute / 1000 }));
  }
};
t = performance.now();
const onExit = () => writePhases(performance.now() - t);  // the guest's exit() ends node itself
process.on('exit', onExit);
try {
  component.run.run();
} catch (error) {
  process.stderr.write(`wasm trap: ${error}\n`);
  process.exitCode = 134;
}
