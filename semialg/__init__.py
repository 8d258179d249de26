"""semialg: exact verification of nonsmooth derivatives of piecewise-polynomial programs."""
__version__ = "0.1.0"
