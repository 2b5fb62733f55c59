"""What each HTTP handler answers, shared by its wasi:http component (app.py, built with
componentize-py) and its native twin (lab/http/native_server.py), so both do the same work per request."""

import hashlib

HELLO = b"hello from wasmlab\n"
SHA256_BLOCK = bytes(range(256)) * 256  # 64 KiB hashed per request
SHA256_ROUNDS = 4


def hello(path: str) -> bytes:
    return HELLO


def sha256(path: str) -> bytes:
    """The hex SHA-256 of SHA256_ROUNDS x 64 KiB, chained: real work for every request."""
    digest = b""
    for _ in range(SHA256_ROUNDS):
        digest = hashlib.sha256(digest + SHA256_BLOCK).digest()
    return digest.hex().encode() + b"\n"


HANDLERS = {"hello": hello, "sha256": sha256}
