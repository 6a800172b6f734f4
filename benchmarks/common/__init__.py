"""Helpers shared by the benchmark scripts: cached features, models, options."""
