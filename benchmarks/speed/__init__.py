"""How fast are the transformer, the regressors and the atom-pair kernel?"""
