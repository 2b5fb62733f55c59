"""The http suite's native twin: the same handler function (suites/http/handlers/logic.py) that
the wasi:http component runs, served by CPython's threading HTTP/1.1 server with keep-alive.

    python -m lab.http.native_server HANDLER PORT [HOST]
"""

from __future__ import annotations

import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from lab.http.handlers import handler_function


def serve(handler: str, port: int, host: str = "127.0.0.1") -> None:
    answer = handler_function(handler)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like the Wasm servers
        disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

        def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
            body = answer(self.path)
            self.send_response(200)
            self.send_header("content-type", "text/plain")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args) -> None:  # noqa: A002
            pass  # a line per request would time the terminal

    ThreadingHTTPServer.daemon_threads = True
    with ThreadingHTTPServer((host, port), Handler) as server:
        server.serve_forever()


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]), *sys.argv[3:4])
