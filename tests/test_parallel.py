"""semialg.checks.parallel, semialg.stratification.prefetch and semialg.stratification.subtrees:
the strata's questions and the branch tree's subtrees on a local 2-worker Dask cluster give the
serial run's answers (verdict, reason, witness, every stratum's report, the strata and their
adjacency)."""
from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from semialg.checks import parallel
from semialg.checks.conservative import check
from semialg.checks.projection import NOT_CHECKED, SKIPPED, check_block, projection_checks
from semialg.core.errors import InputError
from semialg.frontends.text import parse
from semialg.rules import get_rule
from semialg.stratification import stratify

distributed = pytest.importorskip("distributed")

PROGRAMS = [
    ("abs(x) + abs(y)", {}),
    (" + ".join(f"relu({a}*x + {b}*y + {c})" for a, b, c in [(1, 2, 0), (-3, 1, 1), (2, -1, -2), (1, 1, 3),
                                                               (5, -2, 1), (-1, -4, 2), (3, 3, -1), (1, -5, 0)]), {}),
    ("relu(relu(x + y) - relu(x - 2*y + 1) + 1)", {}),                        # bent kinks: the branch tree
    ("abs(x)", {"variables": "x,y", "field": "sign(x), where(x == 0, 1, 0)"}),  # refuted: the witness
    ("x - (relu(-x) - relu(x) + x)", {"rule": "pytorch"}),
    ("relu(x*y - 1) + abs(x)", {}),                                           # nonlinear: prefetch
    ("relu(x**2 + y**2 - 1) + relu(x)", {"rule": "clarke"}),
    ("max(x, y, 0)", {"domain": "x**2 + y**2 <= 4"}),                         # strata outside the domain
]


@pytest.fixture(scope="module")
def client():
    with parallel.cluster(workers=2) as c:
        yield c


def _same(a, b) -> None:
    assert (a.verdict, a.reason, a.witness) == (b.verdict, b.reason, b.witness)
    sa, sb = a.stratification, b.stratification
    assert [(s.conditions, s.dim, s.labels, s.piece) for s in sa.strata] == \
        [(s.conditions, s.dim, s.labels, s.piece) for s in sb.strata]
    assert sa.above == sb.above
    assert [(r.stratum.id, r.field, r.status, r.reason) for r in a.strata] == \
        [(r.stratum.id, r.field, r.status, r.reason) for r in b.strata]


@pytest.mark.parametrize("text, kwargs", PROGRAMS, ids=[t[:30] for t, _ in PROGRAMS])
def test_check_on_two_workers_is_the_serial_check(client, text, kwargs):
    _same(check(text, **kwargs), check(text, client=client, **kwargs))


def test_a_witness_ends_the_checking_as_in_the_serial_walk(client):
    # many strata, a violation on an early one: later blocks are reported not checked
    text = " + ".join(f"relu({a}*x + {b}*y + {c})" for a, b, c in
                      [(1, 2, 0), (-3, 1, 1), (2, -1, -2), (1, 1, 3), (5, -2, 1), (-1, -4, 2), (3, 3, -1)])
    field = "0, 0"
    serial, distributed_run = check(text, field=field), check(text, field=field, client=client)
    assert serial.verdict == "not_conservative"
    _same(serial, distributed_run)
    assert len(parallel.blocks(len(serial.stratification.strata), 2)) > 1
    assert any(r.status == NOT_CHECKED for r in distributed_run.strata)


def test_prefetched_nonlinear_stratification_has_the_serial_strata(client):
    text = "relu(x*y - 1) + relu(x**2 + y**2 - 4) + abs(x - y)"
    serial = stratify(parse(text))
    ahead = stratify(parse(text), parallel_map=parallel.dask_map(client))
    assert [(s.conditions, s.dim, s.labels) for s in serial.strata] == [(s.conditions, s.dim, s.labels) for s in ahead.strata]
    assert serial.above == ahead.above and serial.reasons == ahead.reasons
    assert ahead.stats["solver_calls"] >= serial.stats["solver_calls"] > 0   # the workers' solver work is counted


def test_subtrees_on_two_workers_give_the_serial_stratification(client):
    """A bent net's branch tree cut into subtrees, walked on the workers, grafted back."""
    text = ("relu(2*relu(x + y - 1) - relu(x - 2*y) + relu(3*x + y + 2) - 1) + "
            "relu(relu(x + y - 1) + relu(-x + y) - relu(3*x + y + 2) + 2) + relu(relu(x - 2*y) - relu(-x + y) - 1)")
    sizes = []
    pmap = parallel.dask_map(client)
    counting = lambda f, items, deadline=None: (sizes.append((f.__name__, len(items))), pmap(f, items, deadline))[1]
    serial = stratify(parse(text))
    split = stratify(parse(text), parallel_map=counting)
    assert serial.stats["method"] == "tree" and ("walk_subtree", sizes[0][1]) == sizes[0] and sizes[0][1] >= 2
    assert [(s.conditions, s.dim, s.sample, s.labels, s.piece) for s in serial.strata] == \
        [(s.conditions, s.dim, s.sample, s.labels, s.piece) for s in split.strata]
    assert serial.above == split.above and serial.reasons == split.reasons


def test_merge_keeps_serial_order_and_drops_notes_after_the_witness():
    strat = stratify(parse("abs(x) + abs(y)"))
    rule = get_rule("pytorch")
    halves = [check_block(strat, rule, range(0, 4), 1000, "algebra", None),
              check_block(strat, rule, range(4, len(strat.strata)), 1000, "algebra", None)]
    reports, witness, notes = parallel.merge(strat, halves)
    assert (reports, witness, notes) == projection_checks(strat, rule, 1000)
    fake = ((0, (), "no", ""),), object(), [], []         # a witness in the first block
    later = tuple((r.stratum.id, r.field, r.status, r.reason) for r in reports[1:])
    reports, witness, notes = parallel.merge(strat, [fake, (later, None, ["field note"], ["late note"])])
    assert witness is fake[1] and notes == ["field note"]
    assert {r.status for r in reports[1:]} <= {NOT_CHECKED, SKIPPED}


def test_blocks_cover_every_stratum_once():
    for n, workers in [(1, 2), (63, 2), (64, 2), (1000, 2), (100_000, 8)]:
        parts = parallel.blocks(n, workers)
        assert [i for p in parts for i in p] == list(range(n))
        assert all(len(p) >= parallel.MIN_BLOCK for p in parts[:-1])


_FORMS = st.tuples(st.integers(-3, 3), st.integers(-3, 3), st.integers(-2, 2)).filter(lambda f: f[:2] != (0, 0))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_FORMS, min_size=1, max_size=4), st.sampled_from(["pytorch", "jax", "clarke"]), st.booleans())
def test_random_nested_programs_agree(client, forms, rule, nested):
    inner = [f"relu({a}*x + {b}*y + {c})" for a, b, c in forms]
    text = f"relu({' - '.join(inner)} + 1) + abs(x*y - 1)" if nested else " + ".join(inner)
    _same(check(text, rule=rule), check(text, rule=rule, client=client))


def test_bad_cluster_arguments():
    with pytest.raises(InputError, match="positive number"):
        with parallel.cluster(workers=0):
            pass
    with pytest.raises(InputError, match="cannot reach the Dask scheduler"):
        with parallel.cluster(scheduler="tcp://127.0.0.1:9"):
            pass


def test_without_dask_the_message_says_what_to_install(monkeypatch):
    monkeypatch.setattr(parallel, "available", lambda: False)
    with pytest.raises(InputError, match=r'pip install "semialg\[distributed\]"'):
        with parallel.cluster(workers=2):
            pass


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "semialg", *args], capture_output=True, text=True, timeout=300)


def test_cli_workers_gives_the_serial_json():
    serial = _cli("check", "abs(x) + relu(x - y)", "--json")
    two = _cli("check", "abs(x) + relu(x - y)", "--json", "--workers", "2")
    assert serial.returncode == two.returncode == 0, two.stderr
    a, b = json.loads(serial.stdout), json.loads(two.stdout)
    a.pop("timings", None), b.pop("timings", None)
    assert a == b


@pytest.mark.parametrize("args, message", [
    (["--workers", "0"], "--workers takes a positive number of processes, not 0"),
    (["--workers", "2", "--scheduler", "tcp://127.0.0.1:9"], "not both"),
    (["--scheduler", "tcp://127.0.0.1:9"], "cannot reach the Dask scheduler at tcp://127.0.0.1:9"),
])
def test_cli_bad_cluster_arguments(args, message):
    proc = _cli("check", "abs(x)", *args)
    assert proc.returncode == 2 and message in proc.stderr


def test_exact_numbers_survive_the_trip(client):
    r = check("abs(x)", variables="x,y", field="sign(x), where(x == 0, 1, 0)", client=client)
    assert all(isinstance(v, Fraction) for v in r.witness.point)
