"""One BLAS thread while agreement runs: its products are small (units x tens of values, replicates x kinds),
and OpenBLAS splitting each across threads costs more than it saves — on a loaded two-core host a recompute
ran 3-8x slower with the default threads. Pure ctypes, no Django; a no-op where numpy's OpenBLAS is not found.
"""

from __future__ import annotations

import ctypes
import glob
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np

_lock = threading.Lock()
_depth = 0
_saved = 0


def _find() -> tuple[Callable[[], int], Callable[[int], None]] | None:
    libs = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
    for path in sorted(glob.glob(os.path.join(libs, "libscipy_openblas*.so*"))):
        try:
            lib = ctypes.CDLL(path)  # already loaded by numpy: the same handle
        except OSError:
            continue
        for getter, setter in (("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
                               ("openblas_get_num_threads", "openblas_set_num_threads")):
            if hasattr(lib, getter) and hasattr(lib, setter):
                get, put = getattr(lib, getter), getattr(lib, setter)
                get.restype, put.argtypes = ctypes.c_int, [ctypes.c_int]
                return get, put
    return None


_controls = _find()


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the block with one BLAS thread (the process's setting is restored after the outermost block)."""
    global _depth, _saved
    if _controls is None:
        yield
        return
    get, put = _controls
    with _lock:
        if _depth == 0:
            _saved = get()
            put(1)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                put(_saved)
