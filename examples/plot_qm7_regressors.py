"""
Atomization energies of QM7 molecules with scattering coefficients and ridge
=============================================================================

Featurize the QM7 sample shipped with the package and fit a linear model with
cross-validation.
"""

import numpy as np
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import KFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skscatharm import SolidHarmonicScattering
from skscatharm.datasets import load_qm7_sample

X, y = load_qm7_sample(return_X_y=True)
X, y = X[:200], y[:200]
features = SolidHarmonicScattering(oversampling=2.5, n_jobs=-1).fit_transform(X)
model = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-6, 1, 15)))
predicted = cross_val_predict(
    model, features, y, cv=KFold(5, shuffle=True, random_state=0)
)
print(f"MAE: {np.mean(np.abs(predicted - y)):.2f} kcal/mol")
