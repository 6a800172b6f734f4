"""How accurate are the models on QM7's official 5 folds?"""
