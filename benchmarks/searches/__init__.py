"""What do caches and dedicated cross-validation save in hyperparameter searches?"""
