"""What the platform accepts as a document (a bidder's proof, a data-room file, a signed confirmation).

A document is kept whole, with the SHA-256 of its bytes shown to every reader, so that what was read can be
proved to be what was filed. Accepted: PDF, PNG and JPEG, up to MAX_DOCUMENT_BYTES; the content must be what
its name says (checked by the file's signature, not trusted from the browser).
"""

from __future__ import annotations

import hashlib
import posixpath
import unicodedata

from market.domain.errors import Kind, Refusal

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_FILENAME_CHARS = 200
# extension → (media type, the bytes every such file starts with)
ACCEPTED_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
}


class DocumentMissing(Refusal):
    """No file came with the request, or it was empty."""

    code, kind = "document_missing", Kind.INVALID


class DocumentTooLarge(Refusal):
    """The file is larger than the platform keeps."""

    code, kind, fields = "document_too_large", Kind.INVALID, ("max_megabytes",)


class DocumentTypeNotAccepted(Refusal):
    """The file's name does not end in an accepted type."""

    code, kind, fields = "document_type_not_accepted", Kind.INVALID, ("filename", "accepted")


class DocumentContentMismatch(Refusal):
    """The bytes are not what the name says (e.g. a renamed executable)."""

    code, kind, fields = "document_content_mismatch", Kind.INVALID, ("filename",)


def sha256_hex(data: bytes) -> str:
    """The document's fingerprint as shown to readers: 64 lowercase hex digits."""
    return hashlib.sha256(data).hexdigest()


def clean_filename(name: str) -> str:
    """The name a document is kept and offered under: no folders, no control characters, NFC, bounded."""
    base = posixpath.basename(name.replace("\\", "/"))
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C")
    base = base.strip().strip(".") or "document"
    stem, dot, extension = base.rpartition(".")
    if dot and len(base) > MAX_FILENAME_CHARS:
        return stem[: MAX_FILENAME_CHARS - len(extension) - 1] + "." + extension
    return base[:MAX_FILENAME_CHARS]


def accept_document(filename: str, data: bytes) -> tuple[str, str]:
    """Check an upload; return its kept name and media type, or raise the refusal that says what to fix."""
    if not data:
        raise DocumentMissing()
    if len(data) > MAX_DOCUMENT_BYTES:
        raise DocumentTooLarge(max_megabytes=MAX_DOCUMENT_BYTES // (1024 * 1024))
    name = clean_filename(filename)
    extension = posixpath.splitext(name)[1].lower()
    if extension not in ACCEPTED_TYPES:
        raise DocumentTypeNotAccepted(filename=name, accepted=", ".join(sorted(ACCEPTED_TYPES)))
    media_type, signatures = ACCEPTED_TYPES[extension]
    if not data.startswith(signatures):
        raise DocumentContentMismatch(filename=name)
    return name, media_type
