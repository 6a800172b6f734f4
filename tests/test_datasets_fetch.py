"""Fetchers: download once, cache, verify; against a local HTTP server, no internet.

The server on 127.0.0.1 serves small files written here: a ``qm7.mat`` with the
arrays of the real one but 10 molecules, and a ``dsgdb9nsd.xyz.tar.bz2`` of 3 QM9
records. The fetchers are pointed at it through their module's URL constants, and
the expected shapes, counts and checksums are patched to those of the small files.
"""

import hashlib
import http.server
import io
import os
import tarfile
import threading
import warnings

import numpy as np
import pytest
import scipy.io

from skscatharm.datasets import (
    _qm7,
    _qm9,
    clear_data_home,
    fetch_qm7,
    fetch_qm9,
    get_data_home,
    load_qm7_mat,
)

BOHR = 0.529177210903  # Å, CODATA 2018
HARTREE = 627.5094740631  # kcal/mol, CODATA 2018


class _Server:
    """Files served over HTTP, and the paths that were asked for."""

    def __init__(self):
        self.files = {}
        self.requests = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.http = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def url(self, path):
        return f"http://127.0.0.1:{self.http.server_address[1]}{path}"


@pytest.fixture
def server(monkeypatch):
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    served = _Server()
    served.thread.start()
    yield served
    served.http.shutdown()
    served.http.server_close()


# --- data home -----------------------------------------------------------------------


def test_data_home_argument_env_and_default(tmp_path, monkeypatch):
    explicit = tmp_path / "explicit"
    assert get_data_home(explicit) == str(explicit) and explicit.is_dir()
    monkeypatch.setenv("SKSCATHARM_DATA", str(tmp_path / "from_env"))
    assert get_data_home() == str(tmp_path / "from_env")
    monkeypatch.delenv("SKSCATHARM_DATA")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert get_data_home() == str(tmp_path / "home" / "skscatharm_data")


def test_clear_data_home_removes_everything(tmp_path):
    home = get_data_home(tmp_path / "home")
    os.makedirs(os.path.join(home, "qm7"))
    open(os.path.join(home, "qm7", "qm7.mat"), "wb").close()
    clear_data_home(home)
    assert not os.path.exists(home)


# --- QM7 -----------------------------------------------------------------------------

N7, ATOMS7, FOLDS7 = 10, 5, 5


def _qm7_arrays(seed=0):
    """Arrays laid out as in qm7.mat (float32 as there), for N7 molecules."""
    rng = np.random.default_rng(seed)
    n_atoms = rng.integers(2, ATOMS7 + 1, N7)
    Z = np.zeros((N7, ATOMS7), np.float32)
    R = np.zeros((N7, ATOMS7, 3), np.float32)
    for i, n in enumerate(n_atoms):
        Z[i, :n] = rng.choice([1, 6, 7, 8, 16], n)
        R[i, :n] = rng.normal(scale=2.0, size=(n, 3))
    return {
        "X": rng.normal(size=(N7, ATOMS7, ATOMS7)).astype(np.float32),
        "T": np.round(rng.uniform(-2000, -400, (1, N7)), 2).astype(np.float32),
        "P": rng.permutation(N7).reshape(FOLDS7, N7 // FOLDS7).astype(np.int64),
        "Z": Z,
        "R": R,
    }


def _mat_bytes(arrays):
    buffer = io.BytesIO()
    scipy.io.savemat(buffer, arrays)
    return buffer.getvalue()


@pytest.fixture
def qm7(server, monkeypatch):
    """The small qm7.mat on the server, and its arrays."""
    arrays = _qm7_arrays()
    server.files["/qm7.mat"] = _mat_bytes(arrays)
    monkeypatch.setattr(_qm7, "QM7_URL", server.url("/qm7.mat"))
    monkeypatch.setattr(_qm7, "QM7_SHAPES", {k: v.shape for k, v in arrays.items()})
    return arrays


def _check_qm7(bunch, arrays):
    Z, R = arrays["Z"].astype(np.float64), arrays["R"].astype(np.float64) * BOHR
    np.testing.assert_array_equal(bunch.data[:, :, 0], Z)
    np.testing.assert_array_equal(bunch.data[:, :, 1:], R)
    # T is float32 in qm7.mat; the decimals written there come back exactly
    np.testing.assert_array_equal(
        bunch.target, [float(str(t)) for t in arrays["T"].ravel()]
    )
    np.testing.assert_array_equal(bunch.folds, arrays["P"])
    np.testing.assert_array_equal(bunch.index, np.arange(N7))
    assert bunch.feature_names == ["Z", "x", "y", "z"]
    assert "QM7" in bunch.DESCR


def test_fetch_qm7_downloads_once_then_reads_the_cache(qm7, server, tmp_path):
    first = fetch_qm7(data_home=tmp_path)
    assert server.requests == ["/qm7.mat"]
    _check_qm7(first, qm7)
    # no temporary file left; the download's SHA-256 is recorded beside it
    assert sorted(os.listdir(tmp_path / "qm7")) == ["qm7.mat", "qm7.mat.sha256"]
    recorded = (tmp_path / "qm7" / "qm7.mat.sha256").read_text().strip()
    assert recorded == hashlib.sha256(server.files["/qm7.mat"]).hexdigest()
    X, y = fetch_qm7(data_home=tmp_path, return_X_y=True)
    assert server.requests == ["/qm7.mat"]  # cache hit: no second request
    np.testing.assert_array_equal(X, first.data)
    np.testing.assert_array_equal(y, first.target)


def test_fetch_qm7_uses_the_environment_data_home(qm7, server, tmp_path, monkeypatch):
    monkeypatch.setenv("SKSCATHARM_DATA", str(tmp_path / "env"))
    fetch_qm7()
    assert (tmp_path / "env" / "qm7" / "qm7.mat").is_file()


def test_fetch_qm7_sha256_is_checked(qm7, server, tmp_path, monkeypatch):
    body = server.files["/qm7.mat"]
    monkeypatch.setattr(_qm7, "QM7_SHA256", hashlib.sha256(body).hexdigest())
    _check_qm7(fetch_qm7(data_home=tmp_path), qm7)
    monkeypatch.setattr(_qm7, "QM7_SHA256", "0" * 64)
    with pytest.raises(OSError, match="SHA256 checksum"):
        fetch_qm7(data_home=tmp_path / "other")
    assert os.listdir(tmp_path / "other" / "qm7") == []


def test_load_qm7_mat_reads_a_local_file(qm7, tmp_path):
    path = tmp_path / "qm7.mat"
    path.write_bytes(_mat_bytes(qm7))
    _check_qm7(load_qm7_mat(path), qm7)


def test_load_qm7_mat_rejects_folds_that_are_not_a_permutation(tmp_path):
    arrays = _qm7_arrays()
    arrays["P"] = arrays["P"] + 1  # 1-based
    path = tmp_path / "qm7.mat"
    path.write_bytes(_mat_bytes(arrays))
    with pytest.raises(ValueError, match="permutation"):
        load_qm7_mat(path)


def test_fetch_qm7_without_download_raises_on_an_empty_data_home(qm7, server, tmp_path):
    with pytest.raises(OSError, match="download_if_missing=False"):
        fetch_qm7(data_home=tmp_path, download_if_missing=False)
    assert server.requests == []


@pytest.mark.parametrize("name", ["X", "T", "P", "Z", "R"])
def test_fetch_qm7_rejects_wrong_shapes(qm7, server, tmp_path, monkeypatch, name):
    expected = dict(_qm7.QM7_SHAPES)
    expected[name] = (expected[name][0] + 1,) + expected[name][1:]
    monkeypatch.setattr(_qm7, "QM7_SHAPES", expected)
    with pytest.raises(ValueError, match=f"array '{name}' has shape"):
        fetch_qm7(data_home=tmp_path)
    assert os.listdir(tmp_path / "qm7") == []


def test_fetch_qm7_rejects_a_missing_array(qm7, server, tmp_path):
    server.files["/qm7.mat"] = _mat_bytes({k: v for k, v in qm7.items() if k != "X"})
    with pytest.raises(ValueError, match="array 'X' is missing"):
        fetch_qm7(data_home=tmp_path)
    assert os.listdir(tmp_path / "qm7") == []


def test_fetch_qm7_rejects_a_file_that_is_not_matlab(qm7, server, tmp_path):
    server.files["/qm7.mat"] = b"<html>moved</html>"
    with pytest.raises(ValueError, match="scipy.io.loadmat"):
        fetch_qm7(data_home=tmp_path)
    assert os.listdir(tmp_path / "qm7") == []


def test_fetch_qm7_http_error_leaves_no_file(qm7, server, tmp_path, monkeypatch):
    monkeypatch.setattr(_qm7, "QM7_URL", server.url("/missing.mat"))
    with pytest.raises(OSError, match="404"):
        fetch_qm7(data_home=tmp_path)
    assert os.listdir(tmp_path / "qm7") == []


def test_fetch_qm7_downloads_again_over_a_corrupt_cache(qm7, server, tmp_path):
    (tmp_path / "qm7").mkdir()
    (tmp_path / "qm7" / "qm7.mat").write_bytes(b"truncated")
    with pytest.raises(ValueError, match="scipy.io.loadmat"):
        fetch_qm7(data_home=tmp_path, download_if_missing=False)
    with pytest.warns(UserWarning, match="failed verification"):
        bunch = fetch_qm7(data_home=tmp_path)
    assert server.requests == ["/qm7.mat"]
    _check_qm7(bunch, qm7)


def _flip_a_coordinate(path):
    """Change one float32 coordinate of a qm7.mat in place: still a valid file."""
    data = bytearray(path.read_bytes())
    arrays = scipy.io.loadmat(io.BytesIO(bytes(data)))
    value = arrays["R"][0, 0, 0].tobytes()  # float32, little endian, stored as is
    offset = bytes(data).index(value)
    data[offset] ^= 0x01  # the lowest mantissa bit: the content checks still pass
    path.write_bytes(bytes(data))
    changed = scipy.io.loadmat(path)["R"][0, 0, 0]
    assert np.isfinite(changed) and changed != arrays["R"][0, 0, 0]


def test_fetch_qm7_catches_a_cached_file_changed_after_download(qm7, server, tmp_path):
    fetch_qm7(data_home=tmp_path)
    _flip_a_coordinate(tmp_path / "qm7" / "qm7.mat")
    with pytest.raises(OSError, match="SHA256 checksum of .*qm7.mat"):
        fetch_qm7(data_home=tmp_path, download_if_missing=False)
    with pytest.warns(UserWarning, match="failed verification"):
        bunch = fetch_qm7(data_home=tmp_path)
    assert server.requests == ["/qm7.mat", "/qm7.mat"]
    _check_qm7(bunch, qm7)


def test_fetch_qm7_records_the_checksum_of_a_file_put_there_by_hand(
    qm7, server, tmp_path
):
    (tmp_path / "qm7").mkdir()
    path = tmp_path / "qm7" / "qm7.mat"
    path.write_bytes(server.files["/qm7.mat"])
    _check_qm7(fetch_qm7(data_home=tmp_path, download_if_missing=False), qm7)
    assert (tmp_path / "qm7" / "qm7.mat.sha256").is_file()
    _flip_a_coordinate(path)
    with pytest.raises(OSError, match="SHA256 checksum"):
        fetch_qm7(data_home=tmp_path, download_if_missing=False)
    assert server.requests == []


def test_fetch_qm7_published_sha256_is_checked_on_the_cached_file(
    qm7, server, tmp_path, monkeypatch
):
    body = server.files["/qm7.mat"]
    monkeypatch.setattr(_qm7, "QM7_SHA256", hashlib.sha256(body).hexdigest())
    fetch_qm7(data_home=tmp_path)
    # With a published checksum nothing needs recording.
    assert os.listdir(tmp_path / "qm7") == ["qm7.mat"]
    _flip_a_coordinate(tmp_path / "qm7" / "qm7.mat")
    with pytest.warns(UserWarning, match="failed verification"):
        _check_qm7(fetch_qm7(data_home=tmp_path), qm7)
    assert server.requests == ["/qm7.mat", "/qm7.mat"]


# --- QM9 -----------------------------------------------------------------------------

# Three records in the format of dsgdb9nsd_*.xyz (tab separated, '*^' exponents).
QM9_RECORDS = {
    1: (
        "5\n"
        "gdb 1\t157.7118\t157.70997\t157.70699\t0.\t13.21\t-0.3877\t0.1171\t0.5048"
        "\t35.3641\t0.044749\t-40.47893\t-40.476062\t-40.475117\t-40.498597\t6.469\t\n"
        "C\t-0.0126981359\t 1.0858041578\t 0.0080009958\t-0.535689\n"
        "H\t 0.002150416\t-0.0060313176\t 0.0019761204\t 0.133921\n"
        "H\t 1.0117308433\t 1.4637511618\t 0.0002765748\t 0.133922\n"
        "H\t-0.540815069\t 1.4475266138\t-0.8766437152\t 0.133923\n"
        "H\t-0.5238136345\t 1.4379326443\t 0.9063972942\t 0.133923\n"
        "1341.307\t1341.3284\t1341.365\t1562.6731\t1562.7453\t3038.3205\n"
        "C\tC\t\n"
        "InChI=1S/CH4/h1H4\tInChI=1S/CH4/h1H4\n"
    ),
    3: (
        "3\n"
        "gdb 3\t799.58812\t437.90386\t282.94545\t1.8511\t6.31\t-0.2928\t0.0687"
        "\t0.3615\t19.0002\t0.021375\t-76.404702\t-76.401867\t-76.400922"
        "\t-76.422349\t6.002\t\n"
        "O\t-0.0343604951\t 0.9775395708\t 0.0076015923\t-0.589706\n"
        "H\t 0.0647664923\t 0.0205721989\t 1.2*^-6\t 0.294853\n"
        "H\t 0.8717903737\t 1.3007924\t-3.4*^-5\t 0.294853\n"
        "1621.9\t3838.2\t3898.5\n"
        "O\tO\t\n"
        "InChI=1S/H2O/h1H2\tInChI=1S/H2O/h1H2\n"
    ),
    2: (
        "4\n"
        "gdb 2\t293.60975\t293.54111\t191.39397\t1.6256\t9.46\t-0.257\t0.0829"
        "\t0.3399\t26.1563\t0.034358\t-56.525887\t-56.523026\t-56.522082"
        "\t-56.544961\t6.316\t\n"
        "N\t-0.0404260543\t 1.0241077531\t 0.0625637998\t-0.707143\n"
        "H\t 0.0172574639\t 0.0125452063\t-0.0273771593\t 0.235712\n"
        "H\t 0.9157893661\t 1.3587451948\t-0.0287577581\t 0.235712\n"
        "H\t-0.5202777357\t 1.3435321258\t-0.7755426124\t 0.235718\n"
        "1127.3\t1688.2\t1688.4\t3520.4\t3614.2\t3614.6\n"
        "N\tN\t\n"
        "InChI=1S/H3N/h1H3\tInChI=1S/H3N/h1H3\n"
    ),
}


def _tar_bytes(records, mode="w:bz2"):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:
        for index, text in records.items():
            data = text.encode()
            info = tarfile.TarInfo(f"dsgdb9nsd_{index:06d}.xyz")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture
def qm9(server, monkeypatch):
    """The 3-record archive on the server, with its MD5 and count as expected."""
    body = _tar_bytes(QM9_RECORDS)
    server.files["/3195389"] = body
    monkeypatch.setattr(_qm9, "QM9_URL", server.url("/3195389"))
    monkeypatch.setattr(_qm9, "QM9_MD5", hashlib.md5(body).hexdigest())
    monkeypatch.setattr(_qm9, "QM9_N_MOLECULES", len(QM9_RECORDS))
    return body


def _check_qm9(bunch):
    np.testing.assert_array_equal(bunch.index, [1, 2, 3])  # sorted by id
    assert bunch.data.shape == (3, 5, 4)
    np.testing.assert_array_equal(
        bunch.data[:, :, 0], [[6, 1, 1, 1, 1], [7, 1, 1, 1, 0], [8, 1, 1, 0, 0]]
    )
    np.testing.assert_array_equal(bunch.data[2, 1:3, 3], [1.2e-6, -3.4e-5])
    # U0 atomization energy from the published atomic references (Hartree)
    u0 = np.array([-40.47893, -56.525887, -76.404702])
    atoms = np.array(
        [
            -37.846772 + 4 * -0.500273,
            -54.583861 + 3 * -0.500273,
            -75.064579 + 2 * -0.500273,
        ]
    )
    np.testing.assert_allclose(bunch.target, (u0 - atoms) * HARTREE, rtol=1e-13)
    np.testing.assert_array_equal(bunch.frame["U0"], u0)
    np.testing.assert_array_equal(bunch.frame["Cv"], [6.469, 6.316, 6.002])


def test_fetch_qm9_downloads_once_then_reads_the_cache(qm9, server, tmp_path):
    _check_qm9(fetch_qm9(data_home=tmp_path))
    assert server.requests == ["/3195389"]
    folder = tmp_path / "qm9"
    assert sorted(os.listdir(folder)) == ["dsgdb9nsd.xyz.tar.bz2", "qm9.npz"]
    _check_qm9(fetch_qm9(data_home=tmp_path, download_if_missing=False))
    (folder / "qm9.npz").unlink()  # the archive is parsed again, not downloaded
    X, y = fetch_qm9(data_home=tmp_path, target="Cv", return_X_y=True)
    assert server.requests == ["/3195389"]
    np.testing.assert_array_equal(y, [6.469, 6.316, 6.002])
    assert X.shape == (3, 5, 4)


def test_fetch_qm9_checksum_mismatch_raises_and_leaves_no_file(
    qm9, server, tmp_path, monkeypatch
):
    monkeypatch.setattr(_qm9, "QM9_MD5", "0" * 32)
    with pytest.raises(OSError, match="MD5 checksum"):
        fetch_qm9(data_home=tmp_path)
    assert server.requests == ["/3195389"]
    assert os.listdir(tmp_path / "qm9") == []


def test_fetch_qm9_rejects_a_wrong_number_of_molecules(
    qm9, server, tmp_path, monkeypatch
):
    monkeypatch.setattr(_qm9, "QM9_N_MOLECULES", 133_885)
    with pytest.raises(ValueError, match="holds 3 molecules, expected 133885"):
        fetch_qm9(data_home=tmp_path)
    assert os.listdir(tmp_path / "qm9") == []


def test_fetch_qm9_rejects_a_record_that_does_not_parse(
    qm9, server, tmp_path, monkeypatch
):
    bad = _tar_bytes({**QM9_RECORDS, 2: QM9_RECORDS[2].replace("\nN\t", "\nXx\t", 1)})
    server.files["/3195389"] = bad
    monkeypatch.setattr(_qm9, "QM9_MD5", hashlib.md5(bad).hexdigest())
    with pytest.raises(ValueError, match="dsgdb9nsd_000002.xyz.*unknown element"):
        fetch_qm9(data_home=tmp_path)
    assert os.listdir(tmp_path / "qm9") == []


def test_fetch_qm9_without_download_raises_on_an_empty_data_home(qm9, server, tmp_path):
    with pytest.raises(OSError, match="download_if_missing=False"):
        fetch_qm9(data_home=tmp_path, download_if_missing=False)
    assert server.requests == []


def test_fetch_qm9_unknown_target(qm9, server, tmp_path):
    with pytest.raises(ValueError, match="target must be one of"):
        fetch_qm9(data_home=tmp_path, target="energy")


def test_fetch_qm9_accepts_the_sample_target_names(qm9, server, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bunch = fetch_qm9(data_home=tmp_path, target="U0_atom_kcal_mol")
    np.testing.assert_array_equal(bunch.target, bunch.frame["U0_atom"])
    assert bunch.target_names == ["U0_atom (kcal/mol)"]


# --- QM9: the parsed-array cache is a shortcut, never a blocker ----------------------


def _corrupt(data):
    """Ways a cache file breaks: cut short, one byte flipped, emptied."""
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF  # inside an array: the zip CRC no longer matches
    return {
        "truncated": data[: len(data) // 2],
        "flipped": bytes(flipped),
        "empty": b"",
    }


@pytest.mark.parametrize("damage", ["truncated", "flipped", "empty"])
def test_fetch_qm9_reparses_the_archive_over_a_corrupt_cache(
    qm9, server, tmp_path, damage
):
    fetch_qm9(data_home=tmp_path)
    cache = tmp_path / "qm9" / "qm9.npz"
    good = cache.read_bytes()
    cache.write_bytes(_corrupt(good)[damage])
    with pytest.warns(UserWarning, match=r"cache file .*qm9\.npz cannot be used"):
        bunch = fetch_qm9(data_home=tmp_path, download_if_missing=False)
    _check_qm9(bunch)
    assert server.requests == ["/3195389"]  # parsed from the archive, not downloaded
    # The bad cache was replaced by a good one: the next call reads it, silently.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _check_qm9(fetch_qm9(data_home=tmp_path, download_if_missing=False))


def test_fetch_qm9_downloads_again_when_cache_and_archive_are_bad(
    qm9, server, tmp_path
):
    fetch_qm9(data_home=tmp_path)
    folder = tmp_path / "qm9"
    (folder / "qm9.npz").write_bytes(b"")
    (folder / "dsgdb9nsd.xyz.tar.bz2").unlink()
    with pytest.warns(UserWarning, match="qm9.npz cannot be used"):
        _check_qm9(fetch_qm9(data_home=tmp_path))
    assert server.requests == ["/3195389", "/3195389"]


def test_fetch_qm9_ignores_a_cache_with_missing_or_bad_arrays(qm9, server, tmp_path):
    fetch_qm9(data_home=tmp_path)
    cache = tmp_path / "qm9" / "qm9.npz"
    with np.load(cache) as stored:
        arrays = dict(stored)
    arrays["R"][0, 0, 0] = np.nan
    np.savez(cache, **arrays)
    with pytest.warns(UserWarning, match="R holds non-finite positions"):
        _check_qm9(fetch_qm9(data_home=tmp_path))
    del arrays["Cv"]
    arrays["R"][0, 0, 0] = 0.0
    np.savez(cache, **arrays)
    with pytest.warns(UserWarning, match=r"arrays \['Cv'\] are missing"):
        _check_qm9(fetch_qm9(data_home=tmp_path))


def _refuse_writes(monkeypatch):
    """Make the cache folder read-only for the cache writer, even as root."""
    from skscatharm.datasets import _cache

    def refuse(*args, dir=None, **kwargs):
        raise PermissionError(13, "Permission denied", dir)

    monkeypatch.setattr(_cache.tempfile, "NamedTemporaryFile", refuse)


def test_fetch_qm9_works_from_a_read_only_data_home(qm9, server, tmp_path, monkeypatch):
    fetch_qm9(data_home=tmp_path)
    (tmp_path / "qm9" / "qm9.npz").unlink()
    _refuse_writes(monkeypatch)
    with pytest.warns(UserWarning, match=r"could not write the cache file .*qm9\.npz"):
        bunch = fetch_qm9(data_home=tmp_path, download_if_missing=False)
    _check_qm9(bunch)
    assert sorted(os.listdir(tmp_path / "qm9")) == ["dsgdb9nsd.xyz.tar.bz2"]


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0,
    reason="root writes to read-only folders",
)
def test_fetch_qm9_works_from_a_chmod_read_only_data_home(qm9, server, tmp_path):
    fetch_qm9(data_home=tmp_path)
    folder = tmp_path / "qm9"
    (folder / "qm9.npz").unlink()
    folder.chmod(0o555)
    try:
        with pytest.warns(UserWarning, match="could not write the cache file"):
            _check_qm9(fetch_qm9(data_home=tmp_path, download_if_missing=False))
    finally:
        folder.chmod(0o755)
