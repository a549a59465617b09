"""Where a command writes: checked before it reads anything, then written atomically, every
output into a temporary path beside its target, all renamed into place only when all are done."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path, PurePath
from types import TracebackType
from typing import IO

from dedup.errors import ConfigError

__all__ = [
    "FOLDER_MARK",
    "AtomicOutputs",
    "atomic_directory",
    "atomic_file",
    "check_not_an_input",
    "check_outputs",
]

# Written into every folder dedup creates as output. A folder holding it may be replaced by a
# later run; any other non-empty folder is refused, so that nothing a user keeps there is deleted.
FOLDER_MARK = ".dedup-output"
_MARK_TEXT = b"written by dedup: a later run may replace this folder\n"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _naming(error: OSError, target: Path) -> OSError:
    """A failed write (a full disk) or a temporary path's failure names the output instead."""
    if error.errno is not None:
        return OSError(error.errno, error.strerror, str(target))
    return error


def check_outputs(
    inputs: Iterable[str],
    files: Iterable[str | Path] = (),
    folders: Iterable[str | Path] = (),
    glob: str | None = None,
) -> None:
    """Raise ConfigError, before any work, when an output would overwrite an input or another
    output, when a file output is a folder, sits under a file or inside a folder output, when
    a folder output would replace a folder dedup did not write (see :data:`FOLDER_MARK`) or
    holds an input, or when a file output inside an input folder matches ``glob`` (the files
    read there): a later run would read it as a document."""
    sources = [Path(i) for i in inputs if i != "-"]
    seen: dict[str, str] = {}
    outputs = [(str(f), False) for f in files] + [(str(f), True) for f in folders]
    for name, is_folder in outputs:
        if not is_folder:
            _check_file_place(Path(name), [Path(f) for f in folders], sources, glob)
        path = Path(name)
        real = os.path.realpath(path)
        if real in seen:
            raise ConfigError(
                f"{seen[real]} and {name} are the same path: give each output its own"
            )
        seen[real] = name
        for source in sources:
            if _same(path, source):
                raise ConfigError(f"{path} is also an input: write the output elsewhere")
        _check_parent(path)
        if is_folder:
            _check_folder_output(path, sources)
        elif path.is_dir():
            raise ConfigError(f"{path} is a folder: give a file name")


def check_not_an_input(
    inputs: Iterable[str], files: Iterable[str | Path], outputs: Iterable[str | Path] = ()
) -> None:
    """Raise ConfigError when a file the command reads besides its inputs (an index) is one of
    them, or one of its ``outputs`` (a report written over the index would destroy it)."""
    sources = [Path(i) for i in inputs if i != "-"]
    for name in files:
        for source in sources:
            if _same(Path(name), source):
                raise ConfigError(f"{name} is also an input: give the index another file")
        for output in outputs:
            if _same(Path(name), Path(output)):
                raise ConfigError(f"{output} is the index: write the report elsewhere")


def _check_file_place(
    path: Path, folders: list[Path], sources: list[Path], glob: str | None
) -> None:
    real = Path(os.path.realpath(path))
    for folder in folders:
        if real.is_relative_to(os.path.realpath(folder)):
            raise ConfigError(
                f"{path} is inside the output folder {folder}, which is written whole: "
                "write it elsewhere"
            )
    if glob is None:
        return
    for source in sources:
        inside = Path(os.path.realpath(source))
        from dedup.io.readers import matches_glob  # readers import this module

        read_there = source.is_dir() and real.is_relative_to(inside)
        if read_there and matches_glob(PurePath(os.path.relpath(real, inside)), glob):
            raise ConfigError(
                f"{path} is inside the input folder {source} and matches --glob "
                f"{glob!r}: a later run would read it as a document; write it elsewhere"
            )


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def _check_parent(path: Path) -> None:
    """An output's nearest existing ancestor must be a folder dedup may write in."""
    ancestor = path.parent  # as the user wrote it: "." and "/" exist
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ConfigError(f"cannot write {path}: {ancestor} is a file, not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise ConfigError(f"cannot write {path}: permission denied in {ancestor}")


def _check_folder_output(path: Path, sources: list[Path]) -> None:
    real = Path(os.path.realpath(path))
    for source in sources:
        source_real = Path(os.path.realpath(source))
        if source_real.is_relative_to(real):
            raise ConfigError(
                f"input {source} is inside the output folder {path}: write the output elsewhere"
            )
        if source.is_dir() and real.is_relative_to(source_real):
            raise ConfigError(
                f"the output folder {path} is inside the input folder {source}: "
                "a later run would read it; write the output elsewhere"
            )
    if Path.cwd().is_relative_to(real):
        raise ConfigError(f"the output folder {path} holds the current folder: give a new folder")
    if path.is_dir() and not _replaceable(path):
        raise _foreign_folder(path)
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{path} is a file: the output is a folder here")


def _foreign_folder(path: Path) -> ConfigError:
    return ConfigError(
        f"{path} is a folder that dedup did not write, and not empty: give a new or empty "
        "folder, so that nothing in it is deleted"
    )


def _replaceable(folder: Path) -> bool:
    """A folder an output may replace: empty, or written by dedup (it holds the mark)."""
    return (folder / FOLDER_MARK).is_file() or not any(folder.iterdir())


class AtomicOutputs:
    """Several outputs written together: each into a temporary path beside its target, and all
    renamed into place when the ``with`` block completes, or all removed when it fails.

    A renamed output is complete; a failure between two renames (a disk failing then) can
    leave the first in place, never a partial file.
    """

    def __init__(self) -> None:
        self._files: list[tuple[IO[bytes], Path]] = []
        self._folders: list[tuple[Path, Path]] = []
        self._opened: list[Path] = []  # targets, in the order their outputs were opened

    def file(self, path: str | Path) -> IO[bytes]:
        """A binary handle whose content becomes ``path``."""
        target = Path(path)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed on exit
                dir=target.parent, prefix=f".{target.name}.", suffix=".tmp", delete=False
            )
        except OSError as error:
            raise _naming(error, target) from None
        self._files.append((handle, target))
        self._opened.append(target)
        return handle

    def folder(self, path: str | Path) -> Path:
        """A temporary folder that becomes ``path`` (replacing it only when
        :func:`check_outputs` allows: empty or written by dedup)."""
        target = Path(os.path.abspath(path))
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(
                tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
            )
        except OSError as error:
            raise _naming(error, target) from None
        self._folders.append((staging, target))
        self._opened.append(Path(path))
        return staging

    def __enter__(self) -> AtomicOutputs:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if kind is not None:
            self._discard()
            if isinstance(value, OSError) and value.errno is not None:
                raise self._renamed(value) from None
            return
        current = Path()  # the output being finished: an error names it
        try:
            for handle, current in self._files:  # noqa: B007
                with handle:
                    handle.flush()
                    os.fsync(handle.fileno())
                # tempfile creates 0600; an output gets the permissions of any file the user makes
                os.chmod(handle.name, 0o666 & ~_umask())
            for staging, current in self._folders:  # noqa: B007
                (staging / FOLDER_MARK).write_bytes(_MARK_TEXT)
                os.chmod(staging, 0o777 & ~_umask())  # mkdtemp creates 0700
            for handle, current in self._files:
                os.replace(handle.name, current)
            for staging, current in self._folders:
                _replace_folder(staging, current)
        except OSError as error:
            self._discard()
            raise _naming(error, current) from None
        except BaseException:
            self._discard()
            raise

    def _renamed(self, error: OSError) -> OSError:
        """An error in writing an output, naming the output, not its temporary path (a full
        disk names no file: the output opened last is the one being written)."""
        if error.filename is None:
            if not self._opened:
                return error
            return OSError(error.errno, error.strerror, str(self._opened[-1]))
        name = Path(os.fsdecode(error.filename))
        for temporary, target in [(Path(h.name), t) for h, t in self._files] + self._folders:
            if name.is_relative_to(temporary):
                return OSError(
                    error.errno, error.strerror, str(target / name.relative_to(temporary))
                )
        return error

    def _discard(self) -> None:
        for handle, _ in self._files:
            # Closing flushes what a failed write left buffered (a full disk fails again): the
            # file is deleted anyway, and that second failure must not hide the first.
            with suppress(OSError):
                handle.close()
            Path(handle.name).unlink(missing_ok=True)
        for staging, _ in self._folders:
            shutil.rmtree(staging, ignore_errors=True)


def _replace_folder(staging: Path, target: Path) -> None:
    if not target.exists():
        staging.rename(target)
        return
    if not target.is_dir() or not _replaceable(target):
        raise _foreign_folder(target)
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)


@contextmanager
def atomic_file(path: str | Path) -> Iterator[IO[bytes]]:
    """A binary file handle whose content replaces ``path`` only if the block completes."""
    with AtomicOutputs() as outputs:
        yield outputs.file(path)


@contextmanager
def atomic_directory(path: str | Path) -> Iterator[Path]:
    """A temporary folder that replaces the folder ``path`` only if the block completes."""
    with AtomicOutputs() as outputs:
        yield outputs.folder(path)
