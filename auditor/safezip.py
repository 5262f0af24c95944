"""Zip checkpoints read through auditor.safeio's door, with bounds the zip itself cannot lift.

The member count and the central directory's size are read from the end records and checked
before `zipfile` parses the directory, and a member is read up to a cap on its *decompressed*
bytes (the sizes a zip declares are not trusted): a zip bomb costs one refusal.
"""

from __future__ import annotations

import io
import os
import struct
from typing import Callable

from auditor import safeio

ZIP_MEMBERS = 100_000
ZIP_CENTRAL_DIR = 16 * 1024 * 1024

_EOCD = struct.Struct("<4s4H2LH")
_EOCD64_LOCATOR = struct.Struct("<4sLQL")
_EOCD64 = struct.Struct("<4sQ2H2L4Q")


def _central_directory(fh: io.BufferedReader, size: int) -> tuple[int, int] | None:
    """(entries, central-directory bytes) from the end records, or None when there are none."""
    tail_len = min(size, _EOCD.size + 65535)
    fh.seek(size - tail_len)
    tail = fh.read(tail_len)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _EOCD.size:
        return None
    _, _, _, _, entries, cd_size, _, _ = _EOCD.unpack_from(tail, at)
    if entries == 0xFFFF or cd_size == 0xFFFFFFFF:
        loc = at - _EOCD64_LOCATOR.size
        if loc >= 0 and tail[loc:loc + 4] == b"PK\x06\x07":
            _, _, offset, _ = _EOCD64_LOCATOR.unpack_from(tail, loc)
            if offset + _EOCD64.size <= size:
                fh.seek(offset)
                rec = fh.read(_EOCD64.size)
                if rec[:4] == b"PK\x06\x06" and len(rec) == _EOCD64.size:
                    fields = _EOCD64.unpack(rec)
                    entries, cd_size = fields[7], fields[8]
    return entries, cd_size


def zip_member(path: str | os.PathLike[str], choose: Callable[[list[str]], str | None], *, within: safeio.Root | None,
               cap: int, shown: str | None = None, max_members: int = ZIP_MEMBERS,
               max_central_dir: int = ZIP_CENTRAL_DIR) -> bytes | None:
    """The decompressed bytes of the member `choose(names)` picks from a zip, or None when it picks none.

    ReadRefused when the file is not a zip, has more than `max_members` members or a central
    directory over `max_central_dir` bytes, or when the member inflates past `cap` bytes
    (counted as it inflates: the sizes a zip declares are not trusted).
    """
    with safeio._Opened(path, within, shown) as f:
        found = _central_directory(f.file, f.size)
        if found is None:
            raise safeio.ReadRefused(f.name, "not a zip file")
        entries, cd_size = found
        if entries > max_members:
            raise safeio.ReadRefused(f.name, f"a zip of {entries} members, over the {max_members}-member limit; not read")
        if cd_size > max_central_dir:
            raise safeio.ReadRefused(f.name, f"a zip directory of {cd_size} bytes, over the {max_central_dir}-byte "
                                      "limit; not read")
        f.file.seek(0)
        import zipfile  # here: with shutil and the compressors, only once a zip is opened

        try:
            with zipfile.ZipFile(f.file) as zf:
                infos = zf.infolist()
                if len(infos) > max_members:
                    raise safeio.ReadRefused(f.name, f"a zip of {len(infos)} members, over the {max_members}-member limit")
                name = choose([i.filename for i in infos])
                if name is None:
                    return None
                with zf.open(name) as member:
                    data = member.read(cap + 1)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, KeyError) as exc:
            raise safeio.ReadRefused(f.name, f"not a readable zip ({type(exc).__name__})") from None
        except (ValueError, OSError, RuntimeError) as exc:
            if isinstance(exc, safeio.ReadRefused):
                raise
            raise safeio.ReadRefused(f.name, f"not a readable zip ({type(exc).__name__})") from None
    if len(data) > cap:
        raise safeio.ReadRefused(f.name, f"zip member {name} inflates past the {cap}-byte limit; not read")
    return data


def zip_names(path: str | os.PathLike[str], *, within: safeio.Root | None, shown: str | None = None) -> list[str]:
    """A zip's member names, from its directory (nothing is inflated); ReadRefused as zip_member."""
    names: list[str] = []

    def keep(found: list[str]) -> None:
        names.extend(found)

    zip_member(path, keep, within=within, cap=0, shown=shown)
    return names
