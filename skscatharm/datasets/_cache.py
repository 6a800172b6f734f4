"""The parsed-array cache of a fetcher: never trusted on read, optional to write.

Parsing a published archive can take minutes, so a fetcher keeps the parsed arrays
in an ``.npz`` file next to it. That file is only a shortcut: the archive remains
the reference. So a cache that cannot be read (truncated, bit-flipped, empty,
written by another version) is reported and ignored, and the caller parses the
archive again; and a cache that cannot be written (a read-only data home) is
reported and skipped, never an error.
"""

import contextlib
import os
import tempfile
import warnings

import numpy as np

#: Key of the array that records the layout version of a cache file.
VERSION_KEY = "cache_version"


def read_cache(path, version, check):
    """Arrays of the cache file ``path``, or None if absent, stale or unreadable.

    Parameters
    ----------
    path : str
        The ``.npz`` file.
    version : int
        Layout version the caller writes; a file of another version is stale and
        silently ignored (it was valid when written).
    check : callable
        ``check(arrays)`` raises ``ValueError`` if the arrays are not what the
        caller expects (names, shapes, counts, finiteness).

    Returns
    -------
    arrays : dict of ndarray or None
        None, after a ``UserWarning`` naming the file and the reason, if the file
        exists but cannot be read or fails ``check``.
    """
    if not os.path.exists(path):
        return None
    try:
        with np.load(path, allow_pickle=False) as cache:
            arrays = {key: cache[key] for key in cache.files}
        if int(arrays.pop(VERSION_KEY, -1)) != version:
            return None
        check(arrays)
    # Any failure to read a cache means the same thing, whatever its type:
    # zipfile.BadZipFile (truncated or bit-flipped, CRC mismatch), EOFError (empty
    # file), ValueError (not an array file), OSError, MemoryError (a flipped shape
    # in a header), ...: fall back to the archive.
    except Exception as error:
        warnings.warn(
            f"the cache file {path} cannot be used ({type(error).__name__}: "
            f"{error}); ignoring it and reading the archive again",
            stacklevel=3,
        )
        return None
    return arrays


def write_cache(path, arrays, version):
    """Write ``arrays`` (and ``version``) to ``path`` atomically, if possible.

    The file is written under a temporary name in the same folder and renamed, so
    a cache file under its final name is always complete. Where the folder cannot
    be written (a read-only data home, a full disk), a ``UserWarning`` says so and
    nothing else happens: the caller has its arrays, only the next call will parse
    the archive again.

    Parameters
    ----------
    path : str
        The ``.npz`` file.
    arrays : dict of ndarray
        Arrays to keep.
    version : int
        Layout version, read back by :func:`read_cache`.

    Returns
    -------
    written : bool
        Whether the cache file was written.
    """
    name = None
    try:
        with tempfile.NamedTemporaryFile(
            prefix=os.path.basename(path) + ".part_",
            dir=os.path.dirname(path),
            delete=False,
        ) as handle:
            name = handle.name
            np.savez(handle, **arrays, **{VERSION_KEY: version})
        os.replace(name, path)
    except OSError as error:
        if name is not None:
            with contextlib.suppress(OSError):
                os.remove(name)
        warnings.warn(
            f"could not write the cache file {path} ({error}); continuing without "
            "it, so the next call will parse the archive again",
            stacklevel=3,
        )
        return False
    return True
