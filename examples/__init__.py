"""The teaching examples, shipped with the package as ``semialg.examples``.

The scripts are data for :mod:`semialg.cli.examples_registry`, which loads each one by its
path (``semialg examples NAME``); they are not imported through this package.
"""
