"""
Learning curve on QM7 atomization energies
==========================================

How fast does the error fall with more training molecules? A learning curve
(:func:`sklearn.model_selection.learning_curve`) refits a model on growing subsets of
the training folds and scores it on the held-out fold. On a log-log plot the error of
a good representation falls like a straight line; the slope says how much each new
molecule is worth.

The scattering transform learns nothing from data (its ``fit`` only checks the
parameters), so the coefficients are computed once and the learning curve refits
only the regressors on them: the same numbers as a learning curve of the whole
pipeline, at a fraction of the cost.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import KFold, learning_curve
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skscatharm import FactorizedBilinearRegressor, SolidHarmonicScattering
from skscatharm.datasets import load_qm7_sample

# %%
# Features of the QM7 sample
# --------------------------

X, y = load_qm7_sample(return_X_y=True)
features = SolidHarmonicScattering(oversampling="coarse", n_jobs=-1).fit_transform(X)
print(f"{features.shape[0]} molecules, {features.shape[1]} coefficients each")

# %%
# Two models
# ----------
# A linear model (ridge, penalty by leave-one-out) and the low-rank bilinear model
# :class:`~skscatharm.FactorizedBilinearRegressor`, which adds ``n_components``
# products of two linear forms of the coefficients.
#
# The molecules of the sample are in the order of QM7, roughly by size, and so are
# the training indices of every fold: ``shuffle=True`` makes each training subset a
# random one rather than the smallest molecules.

models = {
    "Ridge": make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-6, 2, 17))),
    "FactorizedBilinearRegressor": FactorizedBilinearRegressor(
        n_components=1, alpha=0.3, max_iter=100, tol=1e-4, random_state=0
    ),
}
train_sizes = np.linspace(0.2, 1.0, 6)
folds = KFold(5, shuffle=True, random_state=0)
curves = {}
for name, model in models.items():
    sizes, _, test_scores = learning_curve(
        model,
        features,
        y,
        train_sizes=train_sizes,
        cv=folds,
        scoring="neg_mean_absolute_error",
        shuffle=True,
        random_state=0,
    )
    errors = -test_scores
    curves[name] = sizes, errors
    slope = np.polyfit(np.log(sizes), np.log(errors.mean(axis=1)), 1)[0]
    print(f"{name}: MAE falls like n^{slope:.2f}")
    for size, scores in zip(sizes, errors, strict=True):
        print(f"  {size:4d} training molecules: MAE {scores.mean():6.2f} kcal/mol")

# %%
# The curves
# ----------
# Mean absolute error on the held-out folds against the number of training
# molecules, with the spread over the 5 folds. On the 500 molecules of the sample
# the linear model is ahead, but the error of the bilinear model falls faster, as
# that of a model with more parameters should: its products of coefficients need
# more molecules than the sample has to pay off.

figure, ax = plt.subplots(figsize=(6, 4.5), layout="constrained")
for name, (sizes, errors) in curves.items():
    ax.errorbar(
        sizes, errors.mean(axis=1), yerr=errors.std(axis=1), marker="o", label=name
    )
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xticks(sizes, [str(size) for size in sizes])
ax.xaxis.set_minor_locator(plt.NullLocator())
ax.set_xlabel("training molecules")
ax.set_ylabel("held-out MAE (kcal/mol)")
ax.set_title(
    f"Learning curve on {len(X)} QM7 molecules:\n"
    "error on the held-out fold of 5-fold CV (bars: spread over the folds)",
    fontsize="medium",
)
ax.legend()
figure.savefig("learning_curve.png", dpi=100)
plt.show()
