"""
Heat capacity of QM9 molecules
==============================

Scattering coefficients are not specific to energies. Here they predict the heat
capacity at 298.15 K (cal/mol/K) of the QM9 molecules shipped with the package
(:func:`~skscatharm.datasets.load_qm9_sample` with ``target="Cv_cal_mol_K"``).

The heat capacity is largely extensive: every atom adds vibrational modes. A linear
model on the counts of each element (the composition) is therefore the baseline to
beat; the scattering coefficients also see the geometry, and which modes are soft
depends on how the atoms are bonded.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import KFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skscatharm import FactorizedBilinearRegressor, SolidHarmonicScattering
from skscatharm.datasets import load_qm9_sample

# %%
# The data
# --------

X, y = load_qm9_sample(target="Cv_cal_mol_K", return_X_y=True)
print(f"{len(X)} QM9 molecules, Cv from {y.min():.1f} to {y.max():.1f} cal/mol/K")

# %%
# Composition baseline and scattering models
# ------------------------------------------
# The scattering coefficients are computed once (the transform is stateless); the
# cross-validation refits the regressors on them.

elements = (1, 6, 7, 8, 9)
composition = np.stack([(X[:, :, 0] == z).sum(axis=1) for z in elements], axis=1)
features = SolidHarmonicScattering(oversampling="coarse", n_jobs=-1).fit_transform(X)


def ridge():
    return make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-6, 2, 17)))


folds = KFold(5, shuffle=True, random_state=0)
models = {
    "composition, Ridge": (ridge(), composition),
    "scattering, Ridge": (ridge(), features),
    "scattering, FactorizedBilinearRegressor": (
        FactorizedBilinearRegressor(
            n_components=1, alpha=0.3, max_iter=100, tol=1e-4, random_state=0
        ),
        features,
    ),
}
predictions = {}
for name, (model, inputs) in models.items():
    predictions[name] = cross_val_predict(model, inputs, y, cv=folds)
    residual = predictions[name] - y
    print(
        f"{name:42s} MAE {np.abs(residual).mean():.3f}  "
        f"RMSE {np.sqrt((residual**2).mean()):.3f} cal/mol/K"
    )

# %%
# Predicted against true
# ----------------------

figure, axes = plt.subplots(
    1, len(predictions), figsize=(4 * len(predictions), 4), layout="constrained"
)
low, high = y.min() - 1, y.max() + 1
for ax, (name, predicted) in zip(axes, predictions.items(), strict=True):
    ax.plot([low, high], [low, high], color="0.6", linewidth=1)
    ax.scatter(y, predicted, s=10, alpha=0.7)
    mae = np.abs(predicted - y).mean()
    ax.set_title(f"{name}\nMAE {mae:.2f} cal/mol/K", fontsize="small")
    ax.set_xlabel("true Cv (cal/mol/K)")
    ax.set_aspect("equal")
axes[0].set_ylabel("predicted, 5-fold CV (cal/mol/K)")
figure.suptitle(
    f"Heat capacity of {len(X)} QM9 molecules, "
    "predicted by 5-fold cross-validation against true"
)
figure.savefig("qm9_heat_capacity.png", dpi=100)
plt.show()
