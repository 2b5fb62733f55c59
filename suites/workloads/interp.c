/* A switch-dispatch stack-machine interpreter running a bytecode program that sums Collatz
   trajectory lengths for 1..n: the shape of a scripting-language inner loop. */
#include "common.h"

enum op { PUSH, LOAD, STORE, ADD, SUB, MUL, DIV, MOD, EQ, LE, JMP, JZ, JNZ, HALT };

typedef struct { int32_t code[256]; int len; int labels[16]; int fixups[32][2]; int nfix; } asm_t;

static void emit(asm_t *a, int32_t op) { a->code[a->len++] = op; }
static void emit1(asm_t *a, int32_t op, int32_t arg) { emit(a, op); emit(a, arg); }
static void label(asm_t *a, int id) { a->labels[id] = a->len; }
static void jump(asm_t *a, int32_t op, int id) {
    emit(a, op);
    a->fixups[a->nfix][0] = a->len;
    a->fixups[a->nfix++][1] = id;
    emit(a, 0);
}
static void resolve_labels(asm_t *a) {
    for (int i = 0; i < a->nfix; i++) a->code[a->fixups[i][0]] = a->labels[a->fixups[i][1]];
}

/* Locals: 0 = n, 1 = i, 2 = x, 3 = total steps, 4 = max steps seen, 5 = steps of this i. */
static void assemble(asm_t *a) {
    enum { LOOP_I, LOOP_X, ODD, NEXT_X, DONE_X, NOT_MAX, END };
    emit1(a, PUSH, 1); emit1(a, STORE, 1);
    label(a, LOOP_I);
    emit1(a, LOAD, 1); emit1(a, LOAD, 0); emit(a, LE); jump(a, JZ, END);
    emit1(a, LOAD, 1); emit1(a, STORE, 2);
    emit1(a, PUSH, 0); emit1(a, STORE, 5);
    label(a, LOOP_X);
    emit1(a, LOAD, 2); emit1(a, PUSH, 1); emit(a, EQ); jump(a, JNZ, DONE_X);
    emit1(a, LOAD, 2); emit1(a, PUSH, 2); emit(a, MOD); jump(a, JNZ, ODD);
    emit1(a, LOAD, 2); emit1(a, PUSH, 2); emit(a, DIV); emit1(a, STORE, 2); jump(a, JMP, NEXT_X);
    label(a, ODD);
    emit1(a, LOAD, 2); emit1(a, PUSH, 3); emit(a, MUL); emit1(a, PUSH, 1); emit(a, ADD); emit1(a, STORE, 2);
    label(a, NEXT_X);
    emit1(a, LOAD, 5); emit1(a, PUSH, 1); emit(a, ADD); emit1(a, STORE, 5);
    jump(a, JMP, LOOP_X);
    label(a, DONE_X);
    emit1(a, LOAD, 3); emit1(a, LOAD, 5); emit(a, ADD); emit1(a, STORE, 3);
    emit1(a, LOAD, 5); emit1(a, LOAD, 4); emit(a, LE); jump(a, JNZ, NOT_MAX);
    emit1(a, LOAD, 5); emit1(a, STORE, 4);
    label(a, NOT_MAX);
    emit1(a, LOAD, 1); emit1(a, PUSH, 1); emit(a, ADD); emit1(a, STORE, 1);
    jump(a, JMP, LOOP_I);
    label(a, END);
    emit(a, HALT);
    resolve_labels(a);
}

/* Returns the number of instructions executed. */
static uint64_t run(const int32_t *code, int64_t *locals) {
    int64_t stack[64];
    int sp = 0, pc = 0;
    uint64_t executed = 0;
    for (;;) {
        executed++;
        switch (code[pc++]) {
        case PUSH: stack[sp++] = code[pc++]; break;
        case LOAD: stack[sp++] = locals[code[pc++]]; break;
        case STORE: locals[code[pc++]] = stack[--sp]; break;
        case ADD: sp--; stack[sp - 1] += stack[sp]; break;
        case SUB: sp--; stack[sp - 1] -= stack[sp]; break;
        case MUL: sp--; stack[sp - 1] *= stack[sp]; break;
        case DIV: sp--; stack[sp - 1] /= stack[sp]; break;
        case MOD: sp--; stack[sp - 1] %= stack[sp]; break;
        case EQ: sp--; stack[sp - 1] = stack[sp - 1] == stack[sp]; break;
        case LE: sp--; stack[sp - 1] = stack[sp - 1] <= stack[sp]; break;
        case JMP: pc = code[pc]; break;
        case JZ: pc = stack[--sp] == 0 ? code[pc] : pc + 1; break;
        case JNZ: pc = stack[--sp] != 0 ? code[pc] : pc + 1; break;
        case HALT: return executed;
        default: printf("bad opcode at %d\n", pc - 1); exit(1);
        }
    }
}

int main(int argc, char **argv) {
    long n = size_arg(argc, argv);
    asm_t a = {0};
    assemble(&a);
    int64_t locals[8] = {n};
    uint64_t executed = run(a.code, locals);
    printf("interp(%ld) collatz steps %lld max %lld, %llu bytecodes executed\n", n,
           (long long)locals[3], (long long)locals[4], (unsigned long long)executed);
    return 0;
}
