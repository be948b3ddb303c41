"""How large a request's address and headers may be, and how a request beyond them is refused.

The app refuses (config.middleware.RequestLimitsMiddleware): the API with its JSON error body,
the staff pages with a plain page. gunicorn, in front of it, lets through more than these limits
(gunicorn.conf.py), so that the app is the one that answers; beyond gunicorn's own, larger
bounds, gunicorn answers with the same JSON body. Free of Django, so gunicorn's config can read it.
(The body's limits are Django's DATA_UPLOAD_MAX_MEMORY_SIZE and DATA_UPLOAD_MAX_NUMBER_FIELDS: 413.)
"""

from __future__ import annotations

import json
from dataclasses import dataclass

# The request target, path and query string as sent (percent-encoded), in bytes: under the 8 kB
# request line that gunicorn, nginx and Apache accept at most by default.
MAX_TARGET_BYTES = 8000
# Header fields, and the bytes of one ("Name: value"): gunicorn's own defaults.
MAX_HEADER_FIELDS = 100
MAX_HEADER_FIELD_BYTES = 8190


@dataclass(frozen=True)
class Refusal:
    status: int
    reason: str
    code: str
    message: str

    def body(self) -> dict:
        return {"code": self.code, "message": self.message, "details": {}}

    def http_response(self) -> bytes:
        """The whole answer, for a server that has not handed the request to the app."""
        content = json.dumps(self.body()).encode()
        head = (
            f"HTTP/1.1 {self.status} {self.reason}\r\n"
            "Connection: close\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(content)}\r\n\r\n"
        )
        return head.encode("latin-1") + content


URI_TOO_LONG = Refusal(
    414,
    "URI Too Long",
    "uri_too_long",
    f"The address (path and query string) is longer than this server accepts ({MAX_TARGET_BYTES} bytes).",
)
HEADERS_TOO_LARGE = Refusal(
    431,
    "Request Header Fields Too Large",
    "headers_too_large",
    f"The request's headers are more or larger than this server accepts (at most {MAX_HEADER_FIELDS} "
    f"fields of {MAX_HEADER_FIELD_BYTES} bytes each).",
)
UNREADABLE = Refusal(400, "Bad Request", "bad_request", "The request could not be read.")


def header_fields(environ: dict) -> dict[str, str]:
    """The request's header fields by name, as a WSGI server hands them on (a field sent twice
    arrives as one, its values joined)."""
    fields = {key[5:].replace("_", "-"): value for key, value in environ.items() if key.startswith("HTTP_")}
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            fields[key.replace("_", "-")] = environ[key]
    return fields


def refusal_of(target: str, environ: dict) -> Refusal | None:
    """The refusal a request deserves for its target (path and query string, as sent) and its
    WSGI environ's headers, or None when it is within the limits."""
    if len(target) > MAX_TARGET_BYTES:
        return URI_TOO_LONG
    fields = header_fields(environ)
    if len(fields) > MAX_HEADER_FIELDS:
        return HEADERS_TOO_LARGE
    # a WSGI environ holds each header as latin-1 text: one character is one byte
    if any(len(name) + len(": ") + len(value) > MAX_HEADER_FIELD_BYTES for name, value in fields.items()):
        return HEADERS_TOO_LARGE
    return None
