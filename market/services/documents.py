"""Keep an uploaded or generated document, and hand it back: one store for proofs, data rooms and confirmations.

Callers decide who may read a document (their own records link to it); this module only keeps bytes whole.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy.orm as so

from market.domain.documents import accept_document, sha256_hex
from market.models import StoredDocument, User


def store_document(session: so.Session, *, filename: str, data: bytes, now: datetime,
                   by: User | None = None) -> StoredDocument:
    """Check the file (type, size, signature) and keep it with its SHA-256; raise the refusal that says why not."""
    name, media_type = accept_document(filename, data)
    document = StoredDocument(filename=name, media_type=media_type, size_bytes=len(data), sha256=sha256_hex(data),
                              content=data, stored_at=now, stored_by_user_id=by.id if by else None)
    session.add(document)
    session.flush()
    return document
