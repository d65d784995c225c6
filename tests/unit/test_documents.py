"""What the platform accepts as a document."""

import pytest

from market.domain.documents import (
    MAX_DOCUMENT_BYTES,
    DocumentContentMismatch,
    DocumentMissing,
    DocumentTooLarge,
    DocumentTypeNotAccepted,
    accept_document,
    clean_filename,
    sha256_hex,
)

PDF = b"%PDF-1.7\n%...\n"


def test_a_pdf_is_kept_under_its_name_with_its_media_type():
    assert accept_document("估值报告.pdf", PDF) == ("估值报告.pdf", "application/pdf")


def test_an_empty_upload_is_missing():
    with pytest.raises(DocumentMissing):
        accept_document("a.pdf", b"")


def test_a_file_above_the_limit_is_refused_with_the_limit():
    with pytest.raises(DocumentTooLarge) as refused:
        accept_document("a.pdf", PDF + b"0" * MAX_DOCUMENT_BYTES)
    assert refused.value.params == {"max_megabytes": 10}


def test_a_type_the_platform_does_not_keep_is_refused_naming_the_accepted_ones():
    with pytest.raises(DocumentTypeNotAccepted) as refused:
        accept_document("setup.exe", b"MZ...")
    assert ".pdf" in refused.value.params["accepted"]


def test_a_renamed_file_is_refused_by_its_content():
    with pytest.raises(DocumentContentMismatch):
        accept_document("report.pdf", b"MZ\x90\x00 not a pdf")


def test_names_lose_folders_and_control_characters():
    assert clean_filename("..\\..\\etc/pass\x00wd.pdf") == "passwd.pdf"
    assert clean_filename("") == "document"


def test_a_long_name_keeps_its_extension():
    name = clean_filename("长" * 300 + ".pdf")
    assert len(name) == 200 and name.endswith(".pdf")


def test_the_fingerprint_is_the_sha256_of_the_bytes():
    assert sha256_hex(b"abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
