"""Where dedup keeps what it computes once per machine: the normalization table, compiled kernels.

``$DEDUP_CACHE_DIR``, else ``~/.cache/dedup``. numba would otherwise cache its compiled kernels
beside their source, inside the installed package, where ``pip uninstall`` leaves them behind
(and the folder left over then hides a later install of the package): importing this module
points numba here unless ``$NUMBA_CACHE_DIR`` is set already.

Kernels are cached in a folder named by a fingerprint of the package's sources (names, sizes,
modification times). numba checks a cached kernel against its own file only, so a kernel that
calls one from another file (the batch kernel calls the paragraph splitter) would keep running
the old callee after that file changed; any change to the package compiles afresh instead.
Each run marks its folder used; a run that starts a new folder removes the folders of other
sources that no run has used lately (:func:`prune_kernel_folders`), so upgrades do not pile
them up.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import time
from pathlib import Path

__all__ = ["CACHE_DIR", "prune_kernel_folders", "source_fingerprint"]

CACHE_DIR = Path(os.environ.get("DEDUP_CACHE_DIR") or Path.home() / ".cache" / "dedup")


def source_fingerprint(package: Path = Path(__file__).parent) -> str:
    """A short hash of the names, sizes and modification times of the sources in ``package``."""
    digest = hashlib.blake2b(digest_size=8)
    for path in sorted(package.rglob("*.py")):
        stat = path.stat()
        digest.update(f"{path.relative_to(package)}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


_FINGERPRINT = re.compile(r"[0-9a-f]{16}")


def prune_kernel_folders(
    root: Path, current: str, keep: int = 3, idle_seconds: float = 3600.0
) -> list[Path]:
    """Remove the kernel folders in ``root`` of sources other than ``current``: all but the
    ``keep`` used last, and of those only folders no run has used for ``idle_seconds`` (another
    install's run may be loading from one). Returns the folders removed; failures are ignored,
    as the folders are only a cache."""
    others = []
    for folder in root.glob("*"):
        if folder.name == current or not _FINGERPRINT.fullmatch(folder.name):
            continue
        try:
            others.append((folder.stat().st_mtime, folder))
        except OSError:
            continue
    others.sort(reverse=True)
    now = time.time()
    removed = []
    for used, folder in others[keep:]:
        if now - used > idle_seconds:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _use_kernel_folder() -> None:
    """Point numba at this source's folder, mark it used, and prune others when it is new."""
    fingerprint = source_fingerprint()
    folder = CACHE_DIR / "numba" / fingerprint
    os.environ["NUMBA_CACHE_DIR"] = str(folder)
    try:
        os.utime(folder)
    except FileNotFoundError:
        prune_kernel_folders(folder.parent, fingerprint)
    except OSError:
        pass


if "NUMBA_CACHE_DIR" not in os.environ:
    _use_kernel_folder()
