"""Where dedup keeps what it computes once per machine: the normalization table, compiled kernels.

``$DEDUP_CACHE_DIR``, else ``~/.cache/dedup``. numba would otherwise cache its compiled kernels
beside their source, inside the installed package, where ``pip uninstall`` leaves them behind
(and the folder left over then hides a later install of the package): importing this module
points numba here unless ``$NUMBA_CACHE_DIR`` is set already.

Kernels are cached in a folder named by a fingerprint of the package's sources (names, sizes,
modification times). numba checks a cached kernel against its own file only, so a kernel that
calls one from another file (the batch kernel calls the paragraph splitter) would keep running
the old callee after that file changed; any change to the package compiles afresh instead.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

__all__ = ["CACHE_DIR", "source_fingerprint"]

CACHE_DIR = Path(os.environ.get("DEDUP_CACHE_DIR") or Path.home() / ".cache" / "dedup")


def source_fingerprint(package: Path = Path(__file__).parent) -> str:
    """A short hash of the names, sizes and modification times of the sources in ``package``."""
    digest = hashlib.blake2b(digest_size=8)
    for path in sorted(package.rglob("*.py")):
        stat = path.stat()
        digest.update(f"{path.relative_to(package)}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


os.environ.setdefault("NUMBA_CACHE_DIR", str(CACHE_DIR / "numba" / source_fingerprint()))
