"""Shared test settings: hypothesis profiles (no deadline: sympy's first calls are slow).

``HYPOTHESIS_PROFILE=thorough python -m pytest tests/test_numeric.py`` runs the property
tests with 2000 examples each; CI (``CI`` set) is derandomized so that runs are reproducible.
"""
import os

from hypothesis import HealthCheck, settings

_COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=120, **_COMMON)
settings.register_profile("ci", max_examples=120, derandomize=True, **_COMMON)
settings.register_profile("thorough", max_examples=2000, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))
