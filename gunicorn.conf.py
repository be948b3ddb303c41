"""gunicorn's settings for this app. gunicorn reads ./gunicorn.conf.py from the directory it starts
in; name it wherever else: `gunicorn -c gunicorn.conf.py config.wsgi`. Flags on the command line
(--workers, --bind) still apply over it.

The app itself refuses an address or headers beyond its limits (config/request_limits.py): 414
or 431, the API's JSON error body under /api/, a plain page for the staff pages. gunicorn's own
defaults are lower than those limits and answer with an HTML page of their own, so gunicorn here
lets through more than the app accepts, up to bounds of its own so that nothing is unbounded;
a request even beyond those, or one gunicorn cannot parse, is answered with the same JSON body
(`post_worker_init` below: gunicorn has not read the path yet, so it cannot tell the API's
requests from the staff pages').
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # `gunicorn` may run from another directory

from gunicorn import util  # noqa: E402
from gunicorn.http import errors  # noqa: E402

from config.request_limits import (  # noqa: E402
    HEADERS_TOO_LARGE,
    MAX_HEADER_FIELD_BYTES,
    MAX_HEADER_FIELDS,
    MAX_TARGET_BYTES,
    UNREADABLE,
    URI_TOO_LONG,
)

# The request line ("GET <target> HTTP/1.1"), in bytes: 8190 is the largest bound gunicorn has
# (0 would be none at all); the app's limit on the target is below it.
limit_request_line = 8190
# Header fields, and the bytes of one: four and two times the app's, so it is the app that answers.
# gunicorn buffers at most fields x (field size + 2) bytes of headers: about 6.5 MB.
limit_request_fields = 4 * MAX_HEADER_FIELDS
limit_request_field_size = 2 * MAX_HEADER_FIELD_BYTES

assert limit_request_line > MAX_TARGET_BYTES + len("OPTIONS  HTTP/1.1")


def refusal_of(exc):
    """gunicorn's own refusal of a request as the API's error body, or None for another error."""
    if isinstance(exc, errors.LimitRequestLine):
        return URI_TOO_LONG
    if isinstance(exc, errors.LimitRequestHeaders):
        return HEADERS_TOO_LARGE
    if isinstance(exc, errors.ParseException) and not isinstance(
        exc, (errors.ForbiddenProxyRequest, errors.UnsupportedTransferCoding, errors.ConfigurationProblem)
    ):
        return UNREADABLE
    return None


def post_worker_init(worker):
    """Each worker answers gunicorn's refusals with the JSON error body instead of its HTML page."""
    handle_error = worker.handle_error

    def handle_error_as_json(req, client, addr, exc):
        refusal = refusal_of(exc)
        if refusal is None:
            return handle_error(req, client, addr, exc)
        worker.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], exc)
        try:
            util.write_nonblock(client, refusal.http_response())
        except Exception:  # noqa: BLE001 - as gunicorn: the client may be gone
            worker.log.debug("Failed to send error message.")

    worker.handle_error = handle_error_as_json
