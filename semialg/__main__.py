"""``python -m semialg``: the same as the ``semialg`` command."""
import sys

from semialg.cli.app import main

if __name__ == "__main__":
    sys.exit(main())
