"""The package version, in one place (the cache key and pickles read it)."""

__version__ = "0.1.0.dev1"
