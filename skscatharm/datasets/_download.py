"""Download a data set file once into the data home, verified; read it from there.

Downloads use :mod:`urllib` only. A download is streamed to a temporary file in the
data home, verified (checksum where the publisher gives one, then the content) and
only then renamed to its final name, so a file under its final name was complete and
correct when it was written. A file that fails verification is deleted.
"""

import contextlib
import hashlib
import http.client
import os
import tempfile
import urllib.request
import warnings

from ._home import get_data_home

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
    temporary file is deleted and the error propagates.
    """
    handle = tempfile.NamedTemporaryFile(
        prefix=os.path.basename(path) + ".part_",
        dir=os.path.dirname(path),
        delete=False,
    )
    try:
        with handle:
            digest = hashlib.new(checksum[0]) if checksum else None
            _stream(url, handle, digest)
        if digest is not None:
            _check_digest(digest.hexdigest(), checksum, f"the file from {url}")
        result = read(handle.name)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(handle.name)
        raise
    os.replace(handle.name, path)
    return result


def _fetch(url, path, checksum, read, download_if_missing):
    """Return ``read(path)``, downloading ``path`` from ``url`` first if needed.

    A cached file is verified again; if it fails, it is downloaded again (when
    allowed) after a warning.
    """
    if os.path.exists(path):
        try:
            if checksum:
                _check_digest(_file_digest(path, checksum[0]), checksum, path)
            return read(path)
        except (OSError, ValueError) as error:
            if not download_if_missing:
                raise
            warnings.warn(
                f"cached file {path} failed verification ({error}); downloading it "
                "again",
                stacklevel=3,
            )
            os.remove(path)
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
