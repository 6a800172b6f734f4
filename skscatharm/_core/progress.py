"""Optional progress bar: tqdm when it is installed, nothing otherwise."""

from contextlib import contextmanager


@contextmanager
def progress_bar(total, description, enabled):
    """Yield a callable ``advance(n)``; draws a tqdm bar when enabled and available."""
    if not enabled:
        yield lambda n: None
        return
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm is optional (the "progress" extra)
        yield lambda n: None
        return
    with tqdm(total=total, desc=description, unit="mol") as bar:
        yield bar.update
