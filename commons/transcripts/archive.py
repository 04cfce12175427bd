"""Zip archives read defensively: limits checked from the central directory before
anything is decompressed, then enforced again while decompressing (headers can lie).

Python 3.11's zipfile cannot read Zstandard entries (method 93, written by recent
Inspect `.eval` logs), so those are located and decompressed here with `zstandard`.
"""

from __future__ import annotations

import io
import posixpath
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Protocol

import zstandard

from .types import Limits, TranscriptError

ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP_MAGIC = b"PK\x05\x06"
_ZSTD = 93
_ZIPFILE_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
_LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")
_LOCAL_HEADER_SIGNATURE = 0x04034B50
_CHUNK = 1024 * 1024


def is_zip(data: bytes) -> bool:
    return data.startswith(ZIP_MAGIC) or data.startswith(_EMPTY_ZIP_MAGIC)


@dataclass
class Budget:
    """Uncompressed bytes still allowed across an archive and the archives inside it."""

    remaining: int

    def spend(self, amount: int, location: str, limit: int) -> None:
        self.remaining -= amount
        if self.remaining < 0:
            raise TranscriptError(f"archive expands to more than {limit:,} bytes", location)


@dataclass
class ZipArchive:
    data: bytes
    location: str
    limits: Limits
    budget: Budget
    entries: list[zipfile.ZipInfo] = field(default_factory=list)

    @classmethod
    def open(cls, data: bytes, location: str, limits: Limits, budget: Budget | None = None) -> ZipArchive:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                entries = archive.infolist()
        except (
            zipfile.BadZipFile,
            zipfile.LargeZipFile,
            OSError,
            ValueError,
            EOFError,
            NotImplementedError,
            struct.error,
            IndexError,
        ) as exc:
            raise TranscriptError(f"not a readable zip archive: {exc}", location) from None
        if len(entries) > limits.max_archive_entries:
            raise TranscriptError(
                f"archive has {len(entries):,} entries, over the limit of {limits.max_archive_entries:,}", location
            )
        declared = sum(entry.file_size for entry in entries)
        limit = limits.max_archive_uncompressed_bytes
        if declared > limit:
            raise TranscriptError(f"archive would expand to {declared:,} bytes, over the limit of {limit:,}", location)
        budget = budget or Budget(limit)
        if declared > budget.remaining:
            # An archive inside an archive shares its parent's allowance.
            raise TranscriptError(
                f"archive would expand beyond the {limit:,} bytes allowed for the whole upload", location
            )
        return cls(data, location, limits, budget, entries)

    def files(self) -> list[zipfile.ZipInfo]:
        # Not ZipInfo.is_dir(): it raises IndexError on an (invalid) empty name.
        return [entry for entry in self.entries if not entry.filename.endswith("/")]

    def names(self) -> set[str]:
        return {entry.filename for entry in self.entries}

    def entry_location(self, name: str) -> str:
        return f"{self.location}:{name}" if self.location else name

    def read(self, entry: zipfile.ZipInfo) -> bytes:
        """The entry's bytes, refusing unsafe names, encryption, unknown compression,
        and anything larger than its header or the limits allow."""
        location = self.entry_location(entry.filename)
        check_entry_name(entry.filename, location)
        if entry.flag_bits & 0x1:
            raise TranscriptError("entry is encrypted", location)
        cap = min(entry.file_size, self.limits.max_bytes)
        if entry.file_size > self.limits.max_bytes:
            raise TranscriptError(
                f"entry is {entry.file_size:,} bytes, over the limit of {self.limits.max_bytes:,} bytes", location
            )
        if entry.compress_type == _ZSTD:
            content = self._read_zstd(entry, cap, location)
        elif entry.compress_type in _ZIPFILE_METHODS:
            content = self._read_with_zipfile(entry, cap, location)
        else:
            raise TranscriptError(f"unsupported zip compression method {entry.compress_type}", location)
        self.budget.spend(len(content), location, self.limits.max_archive_uncompressed_bytes)
        return content

    def _read_with_zipfile(self, entry: zipfile.ZipInfo, cap: int, location: str) -> bytes:
        try:
            with zipfile.ZipFile(io.BytesIO(self.data)) as archive, archive.open(entry) as stream:
                return _read_capped(stream, cap, location)
        except (
            zipfile.BadZipFile,
            OSError,
            EOFError,
            ValueError,
            NotImplementedError,
            zlib.error,
            struct.error,
            IndexError,
        ) as exc:
            raise TranscriptError(f"cannot read entry: {exc}", location) from None

    def _read_zstd(self, entry: zipfile.ZipInfo, cap: int, location: str) -> bytes:
        start = entry.header_offset
        header = self.data[start : start + _LOCAL_HEADER.size]
        if len(header) < _LOCAL_HEADER.size:
            raise TranscriptError("truncated zip entry header", location)
        fields = _LOCAL_HEADER.unpack(header)
        if fields[0] != _LOCAL_HEADER_SIGNATURE:
            raise TranscriptError("bad zip entry header", location)
        name_length, extra_length = fields[9], fields[10]
        data_start = start + _LOCAL_HEADER.size + name_length + extra_length
        compressed = self.data[data_start : data_start + entry.compress_size]
        if len(compressed) < entry.compress_size:
            raise TranscriptError("truncated zip entry", location)
        try:
            reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(compressed))
            content = _read_capped(reader, cap, location)
        except zstandard.ZstdError as exc:
            raise TranscriptError(f"cannot decompress Zstandard entry: {exc}", location) from None
        if zlib.crc32(content) != entry.CRC:
            raise TranscriptError("entry is corrupt (CRC mismatch)", location)
        return content


class _Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


def _read_capped(stream: _Readable, cap: int, location: str) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = stream.read(min(_CHUNK, cap + 1 - total))
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        chunks.append(chunk)
        if total > cap:
            raise TranscriptError("entry expands beyond the size its header declares or the size limit", location)


def check_entry_name(name: str, location: str) -> None:
    """Entries are never written to disk, but a name that would escape an extraction
    directory marks a hostile archive; refuse it."""
    if not name:
        raise TranscriptError("archive entry has no name", location)
    normalized = name.replace("\\", "/")
    parts = normalized.split("/")
    if (
        normalized.startswith("/")
        or (len(name) > 1 and name[1] == ":")
        or ".." in parts
        or "\\" in name
        or "\x00" in name
    ):
        raise TranscriptError(f"unsafe path in archive: {name!r}", location)


def base_name(name: str) -> str:
    return posixpath.basename(name.rstrip("/"))
