"""The ``semialg`` command line: one module per subcommand, shared helpers in :mod:`semialg.cli.common`,
the dispatcher in :mod:`semialg.cli.app`."""
from semialg.cli.app import main

__all__ = ["main"]
