"""A small WebAssembly binary encoder, independent of lab.interp so the fuzzer does not share
the decoder's assumptions: a `ModuleSpec` of plain tuples in, module bytes out."""

from __future__ import annotations

from dataclasses import dataclass, field

I32, I64, F32, F64 = 0x7F, 0x7E, 0x7D, 0x7C
FUNCREF, EXTERNREF = 0x70, 0x6F
V128 = 0x7B
GC_TYPE = ((-1,), (-1,))  # a `types` entry that is a GC type (ModuleSpec.gc_types): no function matches it
NUM_TYPES = (I32, I64, F32, F64)
KIND_FUNC, KIND_TABLE, KIND_MEMORY, KIND_GLOBAL = 0, 1, 2, 3


def uleb(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def sleb(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        done = (value == 0 and not byte & 0x40) or (value == -1 and byte & 0x40)
        out.append(byte if done else byte | 0x80)
        if done:
            return bytes(out)


def vec(items: list[bytes]) -> bytes:
    return uleb(len(items)) + b"".join(items)


def name(text: str) -> bytes:
    raw = text.encode()
    return uleb(len(raw)) + raw


def limits(minimum: int, maximum: int | None, is64: bool = False) -> bytes:
    flags = (0x04 if is64 else 0) | (0 if maximum is None else 0x01)  # 0x04: a 64-bit memory (memory64)
    return bytes([flags]) + uleb(minimum) + (b"" if maximum is None else uleb(maximum))


def section(section_id: int, payload: bytes) -> bytes:
    return bytes([section_id]) + uleb(len(payload)) + payload


@dataclass
class FuncBody:
    type_index: int
    locals: list[int]  # one value type per local (run-length encoded on output)
    code: bytes  # instructions, without the final `end`
    raw_locals: bytes | None = None  # written as given instead of `locals` (hostile declarations)


@dataclass
class ModuleSpec:
    types: list[tuple[tuple[int, ...], tuple[int, ...]]] = field(default_factory=list)
    func_imports: list[tuple[str, str, int]] = field(default_factory=list)  # module, name, type index
    funcs: list[FuncBody] = field(default_factory=list)
    tables: list[tuple[int, int, int | None]] = field(default_factory=list)  # reftype, min, max
    memories: list[tuple[int, int | None]] = field(default_factory=list)
    globals: list[tuple[int, bool, bytes]] = field(default_factory=list)  # type, mutable, init expr
    exports: list[tuple[str, int, int]] = field(default_factory=list)  # name, kind, index
    start: int | None = None
    elems: list[tuple[bytes, list[int]]] = field(default_factory=list)  # table 0 offset expr, func indices
    passive_elems: list[list[int]] = field(default_factory=list)
    datas: list[tuple[bytes, bytes]] = field(default_factory=list)  # memory 0 offset expr, bytes
    passive_datas: list[bytes] = field(default_factory=list)
    raw_data_segments: list[bytes] = field(default_factory=list)  # appended as given (hostile segments)
    # Wasm 3.0 parts (lab.fuzz.wasm3)
    memory64: set[int] = field(default_factory=set)  # indices of 64-bit memories
    tags: list[int] = field(default_factory=list)  # function type index of each tag
    # GC struct/array types: their index in `types` (which holds GC_TYPE there, so every index
    # stays one index space) -> encoding, and -> (storage type, mutable) of each field
    gc_types: dict[int, bytes] = field(default_factory=dict)
    gc_fields: dict[int, list[tuple[int, bool]]] = field(default_factory=dict)

    @property
    def func_count(self) -> int:
        return len(self.func_imports) + len(self.funcs)

    def func_type_index(self, func_index: int) -> int:
        if func_index < len(self.func_imports):
            return self.func_imports[func_index][2]
        return self.funcs[func_index - len(self.func_imports)].type_index

    def func_type(self, func_index: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
        return self.types[self.func_type_index(func_index)]


def _locals(types: list[int]) -> bytes:
    runs: list[list[int]] = []
    for t in types:
        if runs and runs[-1][1] == t:
            runs[-1][0] += 1
        else:
            runs.append([1, t])
    return vec([uleb(count) + bytes([t]) for count, t in runs])


def encode_module(spec: ModuleSpec) -> bytes:
    out = bytearray(b"\x00asm\x01\x00\x00\x00")
    if spec.types:
        out += section(1, vec([spec.gc_types[i] if i in spec.gc_types else
                               b"\x60" + vec([bytes([p]) for p in params]) + vec([bytes([r]) for r in results])
                               for i, (params, results) in enumerate(spec.types)]))
    if spec.func_imports:
        out += section(2, vec([name(m) + name(n) + b"\x00" + uleb(t) for m, n, t in spec.func_imports]))
    if spec.funcs:
        out += section(3, vec([uleb(f.type_index) for f in spec.funcs]))
    if spec.tables:
        out += section(4, vec([bytes([t]) + limits(lo, hi) for t, lo, hi in spec.tables]))
    if spec.memories:
        out += section(5, vec([limits(lo, hi, i in spec.memory64) for i, (lo, hi) in enumerate(spec.memories)]))
    if spec.tags:
        out += section(13, vec([b"\x00" + uleb(t) for t in spec.tags]))
    if spec.globals:
        out += section(6, vec([bytes([t, int(mut)]) + init + b"\x0b" for t, mut, init in spec.globals]))
    if spec.exports:
        out += section(7, vec([name(n) + bytes([kind]) + uleb(index) for n, kind, index in spec.exports]))
    if spec.start is not None:
        out += section(8, uleb(spec.start))
    segments = [b"\x00" + offset + b"\x0b" + vec([uleb(f) for f in funcs]) for offset, funcs in spec.elems]
    segments += [b"\x01\x00" + vec([uleb(f) for f in funcs]) for funcs in spec.passive_elems]
    if segments:
        out += section(9, vec(segments))
    data_count = len(spec.datas) + len(spec.passive_datas)
    if spec.passive_datas:
        out += section(12, uleb(data_count))  # memory.init / data.drop need the data count
    if spec.funcs:
        bodies = []
        for f in spec.funcs:
            body = (_locals(f.locals) if f.raw_locals is None else f.raw_locals) + f.code + b"\x0b"
            bodies.append(uleb(len(body)) + body)
        out += section(10, vec(bodies))
    if data_count or spec.raw_data_segments:
        data = [b"\x00" + offset + b"\x0b" + uleb(len(raw)) + raw for offset, raw in spec.datas]
        data += [b"\x01" + uleb(len(raw)) + raw for raw in spec.passive_datas]
        data += spec.raw_data_segments
        out += section(11, vec(data))
    return bytes(out)
