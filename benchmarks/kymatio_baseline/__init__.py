"""kymatio 0.3.0's harmonic scattering as its QM7 example runs it, the baseline that
the speed and agreement comparisons use (needs kymatio, which the package does not)."""
