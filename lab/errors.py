"""The base of every error a user can cause and fix: a bad option, a missing file or runtime, a
malformed manifest. The CLI prints such an error as one line and exits 2 (or the error's own
`exit_code`); anything else is an internal error, exit 70, with a traceback under WASMLAB_DEBUG."""

from __future__ import annotations


class LabError(Exception):
    """A user error; the message is one line that says what is wrong and how to fix it."""

    exit_code = 2
