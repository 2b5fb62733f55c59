/* Never finishes: only the harness's wall-clock limit stops it. */
int main(void) {
    volatile unsigned long spins = 0;
    for (;;) spins++;
    return 0;
}
