"""Where dedup keeps what it computes once per machine: the normalization table, compiled kernels.

``$DEDUP_CACHE_DIR``, else ``~/.cache/dedup``. numba would otherwise cache its compiled kernels
beside their source, inside the installed package, where ``pip uninstall`` leaves them behind
(and the folder left over then hides a later install of the package): importing this module
points numba here unless ``$NUMBA_CACHE_DIR`` is set already.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["CACHE_DIR"]

CACHE_DIR = Path(os.environ.get("DEDUP_CACHE_DIR") or Path.home() / ".cache" / "dedup")

os.environ.setdefault("NUMBA_CACHE_DIR", str(CACHE_DIR / "numba"))
