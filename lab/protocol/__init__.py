"""What a measured child process and the harness agree on: phase timings, the bench import module.

Neutral ground: the engine (lab.interp), the WASI host and the runners all import it; it imports none of them."""
