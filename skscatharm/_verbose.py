"""What ``verbose`` prints: the one convention of every estimator of the package.

``verbose=0`` (the default) prints nothing. ``verbose > 0`` reports progress:

- loops over molecules (the transform, the sparse models' normal equations) draw a
  progress bar (tqdm, on standard error; nothing when tqdm is not installed);
- iterative solvers (conjugate gradients, L-BFGS, alternating least squares) and
  searches (a cross-validated width and ridge) print lines to standard output,
  each starting with ``[EstimatorName]``, as scikit-learn's estimators do: with
  ``verbose=1`` every :data:`EVERY`-th iteration and the last, with ``verbose >= 2``
  every iteration;
- stages (the kernel, the solve) print one line each when they end.
"""

#: Iterations between two printed lines at ``verbose=1``.
EVERY = 10


class Reporter:
    """Print progress lines for an estimator, following the convention above.

    Parameters
    ----------
    name : str
        Printed in brackets at the start of each line.
    verbose : int
        The estimator's ``verbose``.
    """

    def __init__(self, name, verbose):
        self.name = name
        self.verbose = int(verbose)

    def __bool__(self):
        return self.verbose > 0

    def line(self, message):
        """Print ``[name] message`` if verbose."""
        if self.verbose > 0:
            print(f"[{self.name}] {message}", flush=True)

    def iteration(self, n_iter, message, last=False):
        """Print iteration ``n_iter`` if it is due at this verbosity (or ``last``)."""
        if self.verbose >= 2 or (self.verbose == 1 and (last or n_iter % EVERY == 0)):
            self.line(f"iteration {n_iter}: {message}")
