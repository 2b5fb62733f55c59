// Runs a WASI preview 1 command module on V8 through node:wasi, for wasmlab's `node` runner.
// usage: node run-wasi.mjs MODULE.wasm PREOPENS_JSON ENV_JSON [ARGS...]
// Times compile, instantiate and execute and reports them through $WASMLAB_PHASES_FILE; a module
// importing bench.start/bench.end gets them (../bench/region.mjs) and execute is their region.
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { WASI } from 'node:wasi';
import { benchRegion } from '../bench/region.mjs';

const [modulePath, preopensJson, envJson, ...guestArgs] = process.argv.slice(2);
const programName = modulePath.split('/').pop();
const wasi = new WASI({
  version: 'preview1',
  args: [programName, ...guestArgs],
  env: JSON.parse(envJson),
  preopens: JSON.parse(preopensJson),
  returnOnExit: true,
});
const bytes = readFileSync(modulePath);

let t = performance.now();
const module = await WebAssembly.compile(bytes);
const compile = performance.now() - t;
const bench = benchRegion(module, () => performance.now() / 1000);
t = performance.now();
const imports = wasi.getImportObject();
if (bench.used)
  imports.bench = bench.imports;
let instance;
try {
  instance = await WebAssembly.instantiate(module, imports);
} catch (error) {
  // V8 names the module only ("module is not an object"): say which import, in the lab's words.
  const missing = WebAssembly.Module.imports(module).find(i => !(imports[i.module] && i.name in imports[i.module]));
  if (!missing) throw error;
  process.stderr.write(`node: unknown import ${missing.module}.${missing.name}\n`);
  process.exit(1);
}
const instantiate = performance.now() - t;
t = performance.now();
let code = 0;
try {
  code = wasi.start(instance);
} catch (error) {
  process.stderr.write(`wasm trap: ${error}\n`);
  code = 134;
}
const execute = performance.now() - t;
if (process.env.WASMLAB_PHASES_FILE) {
  const phases = { compile: compile / 1000, instantiate: instantiate / 1000, execute: execute / 1000 };
  bench.report(phases);
  writeFileSync(process.env.WASMLAB_PHASES_FILE, JSON.stringify(phases));
}
process.exitCode = code;
