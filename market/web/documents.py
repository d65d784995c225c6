"""Uploading and downloading documents at the edge: the larger body an upload needs, and the download answer.

Every other request keeps request_limits.MAX_BODY_BYTES; a view that takes files is wrapped in
`accepts_documents`, which raises its own body limit before the form is read (so it checks CSRF itself, after
raising it, instead of in CSRFProtect's before-request hook, which would read the body first).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from urllib.parse import quote

from flask import Response, current_app, request
from werkzeug.datastructures import FileStorage

from market.domain.documents import MAX_DOCUMENT_BYTES, DocumentMissing
from market.extensions import csrf
from market.models import StoredDocument

UPLOAD_BODY_BYTES = MAX_DOCUMENT_BYTES + 256 * 1024  # one document and the form around it


def accepts_documents(view: Callable | None = None, *, check_csrf: bool = True) -> Callable:
    """Let `view` receive one document per request; pages keep their CSRF check, the API (bearer) passes False."""
    if view is None:
        return functools.partial(accepts_documents, check_csrf=check_csrf)

    @functools.wraps(view)
    def receiving(*args, **kwargs):
        request.max_content_length = UPLOAD_BODY_BYTES
        if check_csrf and current_app.config.get("WTF_CSRF_ENABLED", True):  # as CSRFProtect's own hook
            csrf.protect()
        return view(*args, **kwargs)

    csrf.exempt(receiving)  # the hook would read the body under the ordinary limit; receiving checks instead
    return receiving


def uploaded_file(field: str | FileStorage | None) -> tuple[str, bytes]:
    """The name and bytes of an uploaded file (a form field's data or a request.files key), or DocumentMissing."""
    storage = request.files.get(field) if isinstance(field, str) else field
    if not isinstance(storage, FileStorage) or not storage.filename:
        raise DocumentMissing()
    return storage.filename, storage.read()


def document_response(document: StoredDocument, *, inline: bool = False) -> Response:
    """The document's bytes as a download under its kept name, with its SHA-256 in a header for checking."""
    disposition = "inline" if inline else "attachment"
    ascii_name = document.filename.encode("ascii", "replace").decode().replace('"', "")
    answer = Response(document.content, mimetype=document.media_type)
    answer.headers["Content-Disposition"] = (
        f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(document.filename)}")
    answer.headers["X-Content-SHA256"] = document.sha256
    answer.headers["X-Content-Type-Options"] = "nosniff"
    return answer
