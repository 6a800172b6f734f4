"""Learning curves on QM9 beside the paper's results, as the QM9 benchmarks draw them."""

from benchmarks.common.datasets import QM9_TARGETS

#: The paper's test MAEs on QM9 (about 110,000 training molecules), per target, in
#: the target's unit: linear and trilinear regression on the scattering coefficients.
PAPER = {
    "U0": {"linear regression (paper)": 1.89, "trilinear regression (paper)": 0.50},
    "Cv": {"linear regression (paper)": 0.10, "trilinear regression (paper)": 0.049},
}


def plot_learning_curves(target, curves, title, path):
    """Test MAE against training size, log-log, with the paper's results marked.

    Parameters
    ----------
    target : {"U0", "Cv"}
    curves : dict
        Label -> (training sizes, test MAEs).
    title : str
    path : str or Path
        Where the figure is written (PNG).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(5.5, 4))
    for label, (sizes, maes) in curves.items():
        axes.loglog(sizes, maes, "o-", label=label)
    for (name, value), style in zip(PAPER[target].items(), ("--", ":"), strict=True):
        axes.axhline(value, color="gray", linestyle=style, label=name)
    axes.set_xlabel("training molecules")
    axes.set_ylabel(f"{target} test MAE ({QM9_TARGETS[target][1]})")
    axes.set_title(title)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=7, loc="upper right")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
