"""Bytes to UTF-8 text: which encoding an export is in, and what is not text at all.

Rules:

* A byte-order mark decides (UTF-8, UTF-16 or UTF-32, either endianness).
* Without one, UTF-8 is assumed when the first ``SCAN_BYTES`` decode as UTF-8 (pyarrow validates the
  rest while parsing); otherwise the file is Windows-1252, or Latin-1 when it holds a byte that
  Windows-1252 leaves undefined. Such a file is not transcoded here: the parser reads it in its
  own encoding block by block (``SINGLE_BYTE``), so no UTF-8 copy of the whole file is made.
* A NUL byte or many control characters early on is a binary file; an HTML or XML document (a
  report "exported to Excel" from Salesforce Classic) is refused with a hint.
* A forced encoding is used as given.
"""

from __future__ import annotations

import re

from loaders.parsing.errors import LoadError

# How much of a file is read to decide its encoding and find its header.
SCAN_BYTES = 256 * 1024

_NOT_SPACE = re.compile(rb"[^\s\x00]")


def has_text(data: bytes | memoryview, start: int = 0, end: int | None = None) -> bool:
    """Whether ``data[start:end]`` holds anything but whitespace (without copying it)."""
    return _NOT_SPACE.search(data, start, len(data) if end is None else end) is not None


_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


# Encodings ``to_utf8`` leaves as they are: one byte per character, decoded as the file is parsed.
SINGLE_BYTE = ("cp1252", "latin-1")
# Bytes Windows-1252 does not define (Python refuses to decode them as cp1252).
_CP1252_UNDEFINED = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")


def single_byte(data: bytes) -> str:
    """The single-byte encoding a non-UTF-8 export is read in: Windows-1252, or Latin-1 when a
    byte Windows-1252 does not define is there."""
    return "latin-1" if any(b in data for b in _CP1252_UNDEFINED) else "cp1252"


def to_utf8(data: bytes, name: str, forced: str | None) -> tuple[bytes, int, str]:
    """The file's text, the offset where the text starts (after a BOM), and the encoding it was
    found in.

    The text is UTF-8 bytes unless that encoding is one of ``SINGLE_BYTE``: such a file's bytes
    are returned as they are, for the parser to decode block by block (a transcoded copy of a
    1 GB export is another 1 GB). A UTF-8 file is returned as is too (pyarrow validates it while
    parsing, which is cheaper than decoding it here); ``read_table`` retries as Windows-1252 when
    that validation fails.
    """
    if forced:
        try:
            return data.decode(forced).encode("utf-8").lstrip(b"\xef\xbb\xbf"), 0, forced
        except (UnicodeDecodeError, LookupError) as exc:
            raise LoadError(f"{name}: cannot be read as {forced} ({exc})") from None
    if data.startswith(b"\xef\xbb\xbf"):
        _refuse_binary(data[3:8195], name)
        return data, 3, "utf-8-sig"
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(enc.replace("-sig", ""))
            except UnicodeDecodeError as exc:
                raise LoadError(
                    f"{name}: starts with a {enc} byte-order mark but is not {enc} "
                    f"(byte {exc.start + len(bom)})"
                ) from None
            if "\x00" in text[:4096]:
                raise LoadError(f"{name}: is a binary file, not a CSV or XLSX export")
            return text.encode("utf-8"), 0, enc
    head = data[:8192]
    _refuse_binary(head, name)
    if head.lstrip()[:5].lower() in (b"<html", b"<!doc", b"<?xml", b"<tabl"):
        raise LoadError(
            f"{name}: is an HTML/XML document (a report saved as 'Excel' from Salesforce "
            "Classic?); export it as CSV or XLSX"
        )
    scan = data[:SCAN_BYTES]
    cut = scan.rfind(b"\n") if len(data) > SCAN_BYTES else len(scan)
    try:
        scan[:cut].decode("utf-8")
    except UnicodeDecodeError:
        return data, 0, single_byte(data)
    return data, 0, "utf-8"


def _refuse_binary(head: bytes, name: str) -> None:
    """A NUL byte or many control characters early on: not a text export."""
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    if b"\x00" in head or controls > max(2, len(head) // 100):
        raise LoadError(f"{name}: is a binary file, not a CSV or XLSX export")
