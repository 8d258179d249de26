"""An independent oracle for semialg's answers.

This package never loads semialg (independence): it has its own parser (:mod:`.expr`), exact
evaluator and PyTorch-convention backprop, parametrised kink sets (:mod:`.curves`),
numeric/exact probes (:mod:`.probes`) and hypothesis generators (:mod:`.generate`).
Only ``tests/test_oracle_soundness.py`` talks to semialg, through its command line.
"""
