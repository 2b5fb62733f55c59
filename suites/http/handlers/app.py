"""The wasi:http handler component: componentize-py builds one per HANDLER (hello.py, sha256.py
set it), answering every request with logic.HANDLERS[HANDLER]."""

import handler_name
import logic
from componentize_py_types import Ok
from wit_world import exports
from wit_world.imports.types import Fields, IncomingRequest, OutgoingBody, OutgoingResponse, ResponseOutparam


class IncomingHandler(exports.IncomingHandler):
    def handle(self, request: IncomingRequest, response_out: ResponseOutparam) -> None:
        body_bytes = logic.HANDLERS[handler_name.NAME](request.path_with_query() or "/")
        response = OutgoingResponse(Fields.from_list([("content-type", b"text/plain"),
                                                      ("content-length", str(len(body_bytes)).encode())]))
        body = response.body()
        ResponseOutparam.set(response_out, Ok(response))
        stream = body.write()
        stream.blocking_write_and_flush(body_bytes)
        stream.__exit__(None, None, None)
        OutgoingBody.finish(body, None)
