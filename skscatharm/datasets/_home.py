"""Where downloaded data sets are cached: the skscatharm data home."""

import os
import shutil

DATA_HOME_ENV = "SKSCATHARM_DATA"
DEFAULT_DATA_HOME = os.path.join("~", "skscatharm_data")


def get_data_home(data_home=None):
    """Return the path of the skscatharm data directory, creating it if needed.

    The fetchers (:func:`fetch_qm7`, :func:`fetch_qm9`) download each file once and
    keep it here. The folder is, in order of precedence: ``data_home`` when given,
    the ``SKSCATHARM_DATA`` environment variable when set, else
    ``~/skscatharm_data``. A leading ``~`` is expanded to the user's home folder.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The data directory. If None, use ``SKSCATHARM_DATA`` or
        ``~/skscatharm_data``.

    Returns
    -------
    data_home : str
        The path of the data directory (it exists on return).

    See Also
    --------
    clear_data_home : Delete the data directory and everything in it.

    Examples
    --------
    >>> import os
    >>> from skscatharm.datasets import get_data_home
    >>> os.path.isdir(get_data_home())  # doctest: +SKIP
    True
    """
    if data_home is None:
        data_home = os.environ.get(DATA_HOME_ENV, DEFAULT_DATA_HOME)
    data_home = os.path.expanduser(os.fspath(data_home))
    os.makedirs(data_home, exist_ok=True)
    return data_home


def clear_data_home(data_home=None):
    """Delete the skscatharm data directory and every file cached in it.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The data directory, as in :func:`get_data_home`.

    See Also
    --------
    get_data_home : Where the data directory is.

    Examples
    --------
    >>> from skscatharm.datasets import clear_data_home
    >>> clear_data_home()  # doctest: +SKIP
    """
    shutil.rmtree(get_data_home(data_home))
