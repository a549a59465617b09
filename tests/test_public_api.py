"""The public API: ``dedup.__all__`` is sorted and names exactly what the package exports."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from types import ModuleType

import dedup


def test_all_is_sorted() -> None:
    assert list(dedup.__all__) == sorted(dedup.__all__)


def test_all_has_no_duplicates() -> None:
    assert len(set(dedup.__all__)) == len(dedup.__all__)


def test_all_equals_the_public_names() -> None:
    public = {
        name
        for name, value in vars(dedup).items()
        if not name.startswith("_") and not isinstance(value, ModuleType)
    }
    assert set(dedup.__all__) == public


def test_every_export_is_defined_in_the_package() -> None:
    for name in dedup.__all__:
        value = getattr(dedup, name)
        assert getattr(value, "__module__", "").startswith("dedup."), name


def test_star_import_gives_all() -> None:
    namespace: dict[str, object] = {}
    exec("from dedup import *", namespace)
    assert set(namespace) - {"__builtins__"} == set(dedup.__all__)


def test_py_typed_is_shipped() -> None:
    assert resources.files("dedup").joinpath("py.typed").is_file()


def test_compiled_kernels_are_cached_outside_the_package() -> None:
    # numba's default, beside the source, leaves files in site-packages that pip never removes.
    import subprocess
    import sys

    code = "import dedup, numba; print(numba.config.CACHE_DIR)"
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    shown = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    ).stdout.strip()
    from dedup.cache import CACHE_DIR, source_fingerprint

    assert shown == str(CACHE_DIR / "numba" / source_fingerprint())


def test_any_change_to_the_sources_names_another_kernel_cache(tmp_path: Path) -> None:
    # numba checks a cached kernel against its own file only: the batch kernel would keep an
    # old paragraph splitter compiled in after segment.py changed.
    from dedup.cache import source_fingerprint

    (tmp_path / "batch.py").write_text("calls the splitter\n")
    (tmp_path / "text").mkdir()
    splitter = tmp_path / "text" / "segment.py"
    splitter.write_text("splits at blank lines\n")
    before = source_fingerprint(tmp_path)
    assert source_fingerprint(tmp_path) == before
    splitter.write_text("splits at blank lines and long lines\n")
    assert source_fingerprint(tmp_path) != before
