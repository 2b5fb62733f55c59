"""Serverless HTTP: the wasi:http handlers (built from Python), their native twin server, and the
bounded loopback load generator that measures both (the http suite is lab.suites.http)."""
