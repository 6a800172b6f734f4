"""Download a data set file once into the data home, verified; read it from there.

Downloads use :mod:`urllib` only. A download is streamed to a temporary file in the
data home, verified (checksum where the publisher gives one, then the content) and
only then renamed to its final name, so a file under its final name was complete and
correct when it was written. A file that fails verification is deleted.

Where no published checksum is known, the SHA-256 of the verified download is
recorded next to it (``<file>.sha256``) and every later read of the cached file is
checked against it, so a file that changes on disk after its download (a bit flip
that the content checks cannot see, such as one in a coordinate) is caught and
downloaded again.
"""

import contextlib
import hashlib
import http.client
import os
import tempfile
import urllib.request
import warnings

from ._home import get_data_home

#: Suffix of the file that records the SHA-256 of a download without a published
#: checksum.
RECORDED_SUFFIX = ".sha256"
# Bytes read at a time from the network or from a file.
_CHUNK = 1 << 20
# Seconds without data before a download fails.
_TIMEOUT = 60
_USER_AGENT = "skscatharm (https://pypi.org/project/skscatharm)"


def _file_digest(path, algorithm):
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _check_digest(found, checksum, what):
    algorithm, expected = checksum
    if found != expected.lower():
        raise OSError(
            f"the {algorithm.upper()} checksum of {what} is {found}, expected "
            f"{expected}; the file is corrupt or not the published one"
        )


def _recorded_checksum(path):
    """``("sha256", hexdigest)`` recorded at the download of ``path``, or None."""
    try:
        with open(path + RECORDED_SUFFIX, encoding="ascii") as handle:
            found = handle.read().strip()
    except (OSError, UnicodeDecodeError):
        return None
    return ("sha256", found) if found else None


def _record_checksum(path, hexdigest):
    """Record the SHA-256 of ``path`` beside it; skipped where it cannot be written."""
    try:
        with open(path + RECORDED_SUFFIX, "w", encoding="ascii") as handle:
            handle.write(hexdigest + "\n")
    except OSError:  # a read-only data home: the content checks still apply
        pass


def _stream(url, handle, digest):
    """Write the body of ``url`` to ``handle``, updating ``digest`` if not None."""
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    received = 0
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:
            announced = response.headers.get("Content-Length")
            while chunk := response.read(_CHUNK):
                handle.write(chunk)
                received += len(chunk)
                if digest is not None:
                    digest.update(chunk)
    except http.client.HTTPException as error:  # e.g. a malformed response
        raise OSError(f"download of {url} failed: {error!r}") from error
    if announced is not None and received != int(announced):
        raise OSError(
            f"download of {url} stopped after {received} of {announced} bytes"
        )


def _download(url, path, checksum, read):
    """Stream ``url`` into a temporary file next to ``path``, verify, then rename.

    ``checksum`` is None or ``(algorithm, hexdigest)``; ``read(temporary_path)``
    verifies the content and returns what the caller needs. On any failure the
    temporary file is deleted and the error propagates. Without ``checksum``, the
    SHA-256 of the verified file is recorded for later reads (see the module).
    """
    handle = tempfile.NamedTemporaryFile(
        prefix=os.path.basename(path) + ".part_",
        dir=os.path.dirname(path),
        delete=False,
    )
    try:
        with handle:
            digest = hashlib.new(checksum[0] if checksum else "sha256")
            _stream(url, handle, digest)
        if checksum:
            _check_digest(digest.hexdigest(), checksum, f"the file from {url}")
        result = read(handle.name)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(handle.name)
        raise
    os.replace(handle.name, path)
    if not checksum:
        _record_checksum(path, digest.hexdigest())
    return result


def _fetch(url, path, checksum, read, download_if_missing):
    """Return ``read(path)``, downloading ``path`` from ``url`` first if needed.

    A cached file is verified again, against ``checksum`` or else against the
    SHA-256 recorded at its download; if it fails, it is downloaded again (when
    allowed) after a warning.
    """
    if os.path.exists(path):
        expected = checksum or _recorded_checksum(path)
        try:
            if expected:
                _check_digest(_file_digest(path, expected[0]), expected, path)
            result = read(path)
        except (OSError, ValueError) as error:
            if not download_if_missing:
                raise
            warnings.warn(
                f"cached file {path} failed verification ({error}); downloading it "
                "again",
                stacklevel=3,
            )
            os.remove(path)
            with contextlib.suppress(FileNotFoundError):
                os.remove(path + RECORDED_SUFFIX)
        else:
            if not expected:  # put there by hand, or before checksums were recorded
                _record_checksum(path, _file_digest(path, "sha256"))
            return result
    elif not download_if_missing:
        raise OSError(
            f"{path} is not in the data home and download_if_missing=False; call "
            f"again with download_if_missing=True to download it from {url}, or put "
            "the file there yourself"
        )
    return _download(url, path, checksum, read)


def _folder(data_home, name):
    folder = os.path.join(get_data_home(data_home), name)
    os.makedirs(folder, exist_ok=True)
    return folder
