"""Options and report lines shared by the atom-kernel benchmarks (QM7 and QM9)."""

import numpy as np

#: Candidate atom kernels when ``--widths`` is not given: two single widths and the
#: equal-weight means of two and three.
DEFAULT_WIDTHS = [(0.25,), (0.5,), (0.25, 0.5), (0.25, 0.5, 1.0)]


def width_set(text):
    """A ``--widths`` argument: one width or several joined by commas.

    Parameters
    ----------
    text : str
        For example ``"0.5"`` or ``"0.25,0.5,1"``.

    Returns
    -------
    widths : tuple of float
    """
    return tuple(float(w) for w in text.split(","))


def widths_label(widths):
    """``widths`` (a number or a sequence) written as the ``--widths`` argument."""
    return ",".join(f"{w:g}" for w in np.atleast_1d(widths))


def add_widths_argument(parser):
    """Add ``--widths``: candidate width sets, by default :data:`DEFAULT_WIDTHS`.

    Parameters
    ----------
    parser : argparse.ArgumentParser
    """
    parser.add_argument(
        "--widths",
        type=width_set,
        nargs="+",
        default=DEFAULT_WIDTHS,
        metavar="W[,W...]",
    )


def print_candidates(model, prefix="", digits=3):
    """Print each candidate width set's best inner-CV error and the ridge it had.

    Parameters
    ----------
    model : AtomKernelRidgeCV
        Fitted.
    prefix : str
        Written before ``widths`` on each line (the target's name, say).
    digits : int
        Decimals of the error.
    """
    for candidate, errors in zip(model.widths, model.cv_errors_, strict=True):
        best = int(np.argmin(errors))
        print(
            f"  {prefix}widths {widths_label(candidate)}: inner-CV MAE "
            f"{errors[best]:.{digits}f} at alpha {model.alphas[best]:.1e}",
            flush=True,
        )


def add_element_shares_argument(parser):
    """Add ``--element-shares``: how the sparse models share their representatives
    among the elements (``spread``, the models' default, or ``count``, with which
    the results recorded before 2026-12-07's change were made).

    Parameters
    ----------
    parser : argparse.ArgumentParser
    """
    parser.add_argument(
        "--element-shares", choices=("spread", "count"), default="spread"
    )


def add_scale_argument(parser):
    """Add ``--J``: the largest scale index of the atom descriptors (the models'
    default 2; the heat capacity's best is 3, RESULTS §5.0i).

    Parameters
    ----------
    parser : argparse.ArgumentParser
    """
    parser.add_argument(
        "--J", type=int, default=2, help="largest scale of the atom descriptors"
    )
