"""Pools of forked worker processes that leave Ctrl-C to the main process.

A terminal's Ctrl-C (or a CI runner cancelling a job) signals the whole process group. Workers
that took it would each print a traceback, and the main process would then wait for the work
still queued. Here the workers ignore it; the main process stops the pool: what is queued is
cancelled, and only the tasks already running finish. A SIGTERM to the group ends the workers
at once, without a word; the main process (the command turns SIGTERM into an interrupt) cleans
up as for Ctrl-C.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing import get_context
from typing import Any

__all__ = ["forked_pool"]


@contextmanager
def forked_pool(
    workers: int,
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
) -> Iterator[ProcessPoolExecutor]:
    """A pool of ``workers`` forked processes, each set up by ``initializer(*initargs)``."""
    pool = ProcessPoolExecutor(
        workers,
        mp_context=get_context("fork"),
        initializer=_start_worker,
        initargs=(initializer, initargs),
    )
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _start_worker(initializer: Callable[..., None] | None, initargs: tuple[Any, ...]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # SIGTERM ends a worker quietly, whatever handler the forking process had.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if initializer is not None:
        initializer(*initargs)
