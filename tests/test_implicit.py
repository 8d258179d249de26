"""Tests of nonsmooth implicit differentiation (semialg.checks.implicit.theorem, jacsets, explicit; `semialg implicit`)."""
import json
import random
from fractions import Fraction as Fr

import pytest
import sympy

import semialg
from semialg.checks.clarke import in_hull
from semialg.checks.implicit.jacsets import MatrixSet, det, find_singular, image_membership, inverse, polytope
from semialg.checks.implicit.theorem import implicit
from semialg.cli.app import main
from semialg.core.errors import InputError
from semialg.numeric import exact_value

SEED_F = "abs(x) + y - u, 2*x + abs(y) - v"   # G = F^{-1}: x = (u, v), y = (x, y)


def mat(*rows):
    return tuple(tuple(Fr(v) for v in r) for r in rows)


@pytest.fixture(scope="module")
def seed():
    return implicit(SEED_F, "u,v", "x,y", "u=0,v=0,x=0,y=0")


# --------------------------------------------------------------------------- the seeds' counterexample
def test_seed_inverse_is_invertible_and_images_are_the_piece_inverses(seed):
    assert seed.verdict == "invertible" and seed.exit_code == 0
    assert seed.singularity.det_sign == -1                     # det [[s, 1], [2, t]] = st - 2 < 0
    assert seed.clarke_invertible is True
    quadrants = [mat((s, 1), (2, t)) for s in (-1, 1) for t in (-1, 1)]
    assert {img for _, img in seed.images} == {inverse(q) for q in quadrants}


def test_seed_G_pieces_solve_F_exactly():
    """Independent oracle: for random rational (u, v), exactly one piece's region holds and
    F(u, v, G(u, v)) = 0 with the primitives' exact evaluation (not the stratifier)."""
    r = implicit(SEED_F, "u,v", "x,y", "u=0,v=0,x=0,y=0")
    g = r.explicit
    assert len(g.pieces) == 4 and g.complete
    rng = random.Random(1)
    for _ in range(40):
        u, v = Fr(rng.randint(-99, 99), 97), Fr(rng.randint(-99, 99), 89)
        inside = [pc for pc in g.pieces if all((p.eval((u, v)) > 0) - (p.eval((u, v)) < 0) == s for p, s in pc.region)]
        assert len(inside) == 1
        y = tuple(f.eval((u, v)) for f in inside[0].formula)
        assert exact_value(r.program, (u, v) + y) == (0, 0)


def test_seed_clarke_calculus_fails_but_not_in_the_direction_the_slide_states(seed):
    """Jac^c F^{-1}(0) = conv{inverses of the 4 pieces}. Exact finding: every M^{-1}, M ∈ Jac^c F(0),
    lies in it (the slides' literal claim fails for this F); the failure of Clarke's calculus is the
    other inclusion: N = [0, 2/3; 4/3, 0] ∈ Jac^c F^{-1}(0) is no M^{-1}."""
    c = seed.calculus
    assert c.image_outside == "no"
    assert c.clarke_outside == "yes" and c.clarke_calculus_holds is False
    N, weights = c.clarke_witness
    assert N == mat((0, "2/3"), ("4/3", 0)) and weights == (Fr(1, 4),) * 4
    # hand check: N^{-1} = [0, 3/4; 3/2, 0] has B_12 = 3/4, but every M ∈ Jac^c F(0) has M_12 = 1
    assert inverse(N) == mat((0, "3/4"), ("3/2", 0))
    assert all(row[3] == 1 for row in (vx[0] for vx in seed.clarke.groups[0]))
    # independent grid check of the inclusion {M^{-1}} ⊂ Jac^c G (exact LPs)
    verts = [tuple(v for row in vx for v in row) for vx in seed.explicit.clarke_vertices]
    for s in (-1, Fr(-1, 2), 0, Fr(1, 3), 1):
        for t in (-1, Fr(-2, 3), 0, Fr(1, 2), 1):
            m_inv = inverse(mat((s, 1), (2, t)))
            assert in_hull(tuple(v for row in m_inv for v in row), verts)
    # the conservative calculus holds: Jac^c G ⊂ conv J_G
    assert c.conservative_ok is True


def test_membership_in_J_G(seed):
    assert seed.contains("0,1/2;1,0").member is True           # [[0, 1], [2, 0]]^{-1}
    assert seed.contains([[0, "2/3"], ["4/3", 0]]).member is False
    with pytest.raises(InputError, match="2x2"):
        seed.contains([[1, 2, 3]])


# --------------------------------------------------------------------------- singular cases, and Clarke vs conservative
def test_singular_abs_refuted_with_witness():
    r = implicit("abs(y) - x", "x", "y", {"x": 0, "y": 0})
    assert r.verdict == "not_invertible" and r.exit_code == 1
    assert r.singularity.weights == (Fr(1, 2), Fr(1, 2)) and r.singularity.witness_matrix == ((0,),)
    assert r.clarke_invertible is False and "agree" in r.comparison
    assert r.images == () and r.explicit is None


def test_clarke_and_conservative_conditions_differ():
    """relu(y) - relu(-y) = y: Clarke's B = {1} is invertible, but the chain rule's conservative
    Jacobian (relu'(0) ∈ [0, 1] twice) contains B = 0."""
    r = implicit("relu(y) - relu(-y) - x", "x", "y", "x=0,y=0")
    assert r.clarke_invertible is True and r.verdict == "not_invertible"
    assert det(r.singularity.witness_matrix) == 0 and "differ" in r.comparison
    assert r.explicit is not None and r.explicit.clarke_vertices == (((1,),),)   # G(x) = x


def test_preset_rule_uses_the_closure_of_its_graph():
    """PyTorch gives abs'(0) = 0, so at the kink B = -1 looks invertible; the closure of the
    field's graph adds the limits ±1 ... and 0 is in their hull (|y| = x has no implicit function)."""
    r = implicit("2*relu(y) - y - x", "x", "y", "x=0,y=0", rule="pytorch")
    assert sorted(v[1] for v in (mx[0] for mx in r.jacobian.groups[0])) == [-1, 1]
    assert r.verdict == "not_invertible"


def test_smooth_circle_is_the_classical_theorem():
    r = implicit("x**2 + y**2 - 1", "x", "y", "x=3/5,y=4/5")
    assert r.verdict == "invertible" and [img for _, img in r.images] == [((Fr(-3, 4),),)]
    assert r.explicit is None and any("not piecewise linear" in t for t in r.notes)
    assert implicit("x**2 + y**2 - 1", "x", "y", "x=1,y=0").verdict == "not_invertible"


def test_no_parameters_and_vector_max():
    r = implicit("max(y, 2*y) - 1", "", "y", "y=1/2")
    assert r.verdict == "invertible" and r.images[0][1] == ((),)
    r = implicit("max(x1, y) + y - x2", "x1,x2", "y", "x1=0,x2=0,y=0")
    assert r.verdict == "invertible"
    assert {img for _, img in r.images} == {mat((-1, 1)), mat((0, "1/2"))}     # x1 > y: 2 pieces, y > x1


def test_api_export_and_program_input():
    p = semialg.parse("abs(y) + 2*y - x")
    r = semialg.implicit(p, ["x"], ["y"], [0, 0])
    assert r.verdict == "invertible" and r.program.inputs == ("x", "y")


# --------------------------------------------------------------------------- exact matrix sets
def test_find_singular_algebraic_witness():
    r = find_singular(MatrixSet.hull([mat((1, 0), (0, 1)), mat((-1, 1), (1, 1))]))
    assert r.status == "singular"
    M = sympy.Matrix([[sympy.nsimplify(v) for v in row] for row in r.witness_matrix])
    assert sympy.simplify(M.det()) == 0 and not all(isinstance(w, Fr) for w in r.weights)


def test_find_singular_rational_root_inside_the_square():
    B = MatrixSet.from_rows([[(-3, 1), (3, 1)], [(2, -3), (2, 3)]])   # det = st - 2, s, t in [-3, 3]
    r = find_singular(B)
    assert r.status == "singular" and det(r.witness_matrix) == 0 and all(isinstance(w, Fr) for w in r.weights)
    assert find_singular(MatrixSet.from_rows([[(-1, 1), (1, 1)], [(2, -1), (2, 1)]])).status == "invertible"


def test_image_membership_is_exact():
    J = MatrixSet.hull([[[-1, 2]], [[-1, 4]]])                 # -B^{-1}A = 1/b, b in [2, 4]
    assert image_membership(J, 1, [["1/4"]]).member and image_membership(J, 1, [["1/2"]]).member
    assert image_membership(J, 1, [["1/5"]]).member is False


def test_polytope_facets_of_a_square_in_a_plane():
    P = polytope([(0, 0, 1), (1, 0, 1), (0, 1, 1), (1, 1, 1)])
    assert len(P.equalities) == 1 and len(P.facets) == 4


# --------------------------------------------------------------------------- CLI: text, JSON, exit codes, bad input
def test_cli_seed_text_and_exit_code(capsys):
    code = main(["implicit", SEED_F, "--x", "u,v", "--y", "x,y", "--at", "u=0,v=0,x=0,y=0", "--member", "0,1/2;1,0"])
    out = capsys.readouterr().out
    assert code == 0
    assert "verdict: INVERTIBLE" in out and "member [0, 1/2; 1, 0]: yes" in out
    assert "N = [0, 2/3; 4/3, 0]" in out and "Clarke's calculus fails" in out


def test_cli_json_singular(capsys):
    code = main(["implicit", "abs(y) - x", "--x", "x", "--y", "y", "--at", "x=0,y=0", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1
    assert doc["command"] == "implicit" and doc["verdict"] == "not_invertible"
    assert doc["invertibility"]["witness"] == {"weights": [["1/2", "1/2"]], "B": [["0"]], "det": "0"}
    assert doc["jacobian"]["rows"] == [[["-1", "-1"], ["-1", "1"]]]
    assert doc["clarke"]["status"] == "singular" and doc["implicit_jacobian"] is None


def test_cli_json_seed_explicit(capsys):
    assert main(["implicit", SEED_F, "--x", "u,v", "--y", "x,y", "--at", "u=0,v=0,x=0,y=0", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    ex = doc["explicit"]
    assert len(ex["pieces"]) == 4 and ex["clarke_calculus"]["image_outside"] == "no"
    assert ex["clarke_calculus"]["clarke_witness"]["matrix"] == [["0", "2/3"], ["4/3", "0"]]
    assert doc["implicit_jacobian"]["n_images"] == 4 and doc["x"] == ["u", "v"]


BAD = [
    (["abs(y) - x", "--x", "x,y", "--y", "y", "--at", "x=0,y=0"], "'y' is listed in both --x and --y"),
    ([SEED_F, "--x", "u", "--y", "x,y", "--at", "u=0,x=0,y=0"], "F uses v, which is in neither --x nor --y"),
    (["abs(x) + y - u", "--x", "u,v", "--y", "x,y", "--at", "u=0,v=0,x=0,y=0"],
     "F has 1 equation but 2 unknowns in --y (x, y)"),
    ([SEED_F, "--x", "u,v", "--y", "x,y", "--at", "u=1,v=0,x=0,y=0"],
     "the residual is (-1, 0), equation 1 (abs(x) + y - u) = -1"),
    ([SEED_F, "--x", "u,v", "--y", "x,y", "--at", "u=0,v=0,x=0"], "no value for y"),
    ([SEED_F, "--x", "u,v", "--y", "x,y", "--at", "u=0,v=0,x=0,y=0", "--member", "1,2"], "expected a 2x2 matrix"),
    (["abs(y) - x", "--x", "x", "--y", "", "--at", "x=0"], "--y must list the unknowns"),
    (["abs(y) - x", "--x", "x", "--y", "y", "--at", "x=0,y=0", "--rule", "torch"], "did you mean 'pytorch'"),
    (["where(y > 0, y + 1, y) - x", "--x", "x", "--y", "y", "--at", "x=0,y=0"], "must be locally Lipschitz"),
]


@pytest.mark.parametrize("argv,message", BAD)
def test_cli_bad_input(capsys, argv, message):
    assert main(["implicit"] + argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
