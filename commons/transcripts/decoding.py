"""Bytes to text: UTF-8 (with or without BOM) or UTF-16 with a BOM, nothing else."""

from __future__ import annotations

import codecs

from .types import Limits, TranscriptError

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def check_size(data: bytes, limits: Limits, location: str = "") -> None:
    if len(data) > limits.max_bytes:
        raise TranscriptError(
            f"input is {len(data):,} bytes, over the limit of {limits.max_bytes:,} bytes",
            location,
        )


def decode_text(data: bytes, location: str = "") -> str:
    encoding, offset = "utf-8", 0
    for bom, bom_encoding in _BOMS:
        if data.startswith(bom):
            encoding, offset = bom_encoding, len(bom)
            break
    body = data[offset:]
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as exc:
        bad = body[exc.start : exc.start + 1].hex()
        expected = "UTF-8" if encoding == "utf-8" else "UTF-16"
        raise TranscriptError(
            f"not valid {expected} text: cannot decode byte 0x{bad} at byte offset "
            f"{exc.start + offset} (expected UTF-8, or UTF-16 with a byte-order mark)",
            location,
        ) from None
    nul = text.find("\x00")
    if nul >= 0:
        # PostgreSQL cannot store NUL in text, and a NUL almost always means a binary
        # file or UTF-16 without a byte-order mark.
        byte_offset = offset + len(text[:nul].encode(encoding))
        raise TranscriptError(
            f"contains a NUL byte at byte offset {byte_offset}: not a text transcript "
            "(binary file, or UTF-16 without a byte-order mark?)",
            location,
        )
    return text
