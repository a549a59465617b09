"""The public API: ``dedup.__all__`` is sorted and names exactly what the package exports."""

from __future__ import annotations

import os
import time
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


def test_kernel_folders_of_other_sources_are_pruned_once_idle(tmp_path: Path) -> None:
    from dedup.cache import prune_kernel_folders

    now = time.time()
    ages = {"a" * 16: 10, "b" * 16: 20, "c" * 16: 30, "d" * 16: 40, "e" * 16: 50}
    for name, days in ages.items():
        (tmp_path / name / "dedup_x").mkdir(parents=True)
        os.utime(tmp_path / name, (now - days * 86400, now - days * 86400))
    (tmp_path / ("f" * 16)).mkdir()  # used a minute ago: another install may be loading from it
    os.utime(tmp_path / ("f" * 16), (now - 60, now - 60))
    (tmp_path / "notes").mkdir()  # not a kernel folder
    (tmp_path / ("0" * 16)).mkdir()  # the current sources' own, however old
    os.utime(tmp_path / ("0" * 16), (now - 99 * 86400, now - 99 * 86400))

    removed = prune_kernel_folders(tmp_path, "0" * 16, keep=2)

    # the two used last (f, a) stay; of the rest, all idle for long, none
    assert sorted(p.name for p in removed) == ["b" * 16, "c" * 16, "d" * 16, "e" * 16]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0" * 16, "a" * 16, "f" * 16, "notes"]


def test_a_new_kernel_folder_prunes_stale_ones_and_a_used_one_is_marked(tmp_path: Path) -> None:
    import subprocess
    import sys

    from dedup.cache import source_fingerprint

    numba_dir = tmp_path / "numba"
    old = time.time() - 40 * 86400
    stale = [numba_dir / f"{n:016x}" for n in range(5)]
    for age, folder in enumerate(stale):
        folder.mkdir(parents=True)
        os.utime(folder, (old - age * 86400, old - age * 86400))
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["DEDUP_CACHE_DIR"] = str(tmp_path)
    current = numba_dir / source_fingerprint()
    subprocess.run([sys.executable, "-c", "import dedup"], check=True, env=env)
    left = sorted(p.name for p in numba_dir.iterdir() if p != current)
    assert left == [p.name for p in stale[:3]]

    current.mkdir(exist_ok=True)
    os.utime(current, (old, old))
    subprocess.run([sys.executable, "-c", "import dedup"], check=True, env=env)
    assert current.stat().st_mtime > time.time() - 3600
    assert len(list(numba_dir.iterdir())) == 4  # nothing pruned: the folder was there already
