"""Plots: 1-D and 2-D pictures from check and critical results, the --plot options, bad input."""
import os
import sys

import pytest

pytest.importorskip("matplotlib")

from semialg.checks.conservative import check  # noqa: E402
from semialg.checks.critical import critical  # noqa: E402
from semialg.cli.app import main  # noqa: E402
from semialg.core.errors import InputError  # noqa: E402
from semialg.plot import plot_1d, plot_2d, plot_result  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


def is_png(path) -> bool:
    data = path.read_bytes()
    return data.startswith(PNG) and len(data) > 5000


def test_plot_1d_of_a_critical_result_marks_the_artificial_point(tmp_path):
    path = tmp_path / "identity.png"
    fig = plot_1d(critical("x - (relu(-x) - relu(x) + x)"), str(path))
    assert is_png(path)
    bottom = fig.axes[1]
    labels = bottom.get_legend_handles_labels()[1]
    assert "artificial critical point" in labels and "Clarke set" in labels and "rule's field D" in labels


def test_plot_1d_of_a_check_result(tmp_path):
    path = tmp_path / "abs.png"
    plot_result(check("abs(x) - relu(x - 1)", rule="jax"), str(path))
    assert is_png(path)


def test_plot_2d_linear_and_nonlinear(tmp_path):
    for name, expr in (("l1.png", "x - (relu(-x) - relu(x) + x) + abs(y)"),
                       ("circle.png", "relu(x**2 + y**2 - 1) - relu(1 - x**2 - y**2)")):
        path = tmp_path / name
        fig = plot_2d(critical(expr), str(path))
        assert is_png(path)
        assert "artificial critical point" in fig.axes[0].get_legend_handles_labels()[1]


def test_plot_2d_of_a_check_result(tmp_path):
    path = tmp_path / "max3.png"
    plot_2d(check("max(x, y, -x - y)", rule="tensorflow"), str(path))
    assert is_png(path)


def test_bad_plots(tmp_path):
    with pytest.raises(InputError, match="one or two variables"):
        plot_result(critical("relu(x + y + z)"), str(tmp_path / "x.png"))
    with pytest.raises(InputError, match="plot_2d"):
        plot_1d(critical("relu(x + y)"), str(tmp_path / "x.png"))
    with pytest.raises(InputError, match="not locally Lipschitz"):
        plot_1d(critical("where(x > 0, 1, 0)"), str(tmp_path / "x.png"))


def test_cli_plot_options(tmp_path, capsys):
    path = tmp_path / "cli.png"
    assert main(["critical", "x - (relu(-x) - relu(x) + x)", "--plot", str(path)]) == 1
    assert is_png(path)
    path2 = tmp_path / "check.png"
    assert main(["check", "abs(x) + abs(y)", "--plot", str(path2)]) == 0
    assert is_png(path2)
    capsys.readouterr()
    # a picture that cannot be drawn is a note on stderr; the verdict's exit code stands
    assert main(["check", "where(x > 0, 1, 0)", "--plot", str(tmp_path / "no.png")]) == 1
    assert "no plot written" in capsys.readouterr().err and not (tmp_path / "no.png").exists()
    assert main(["critical", "relu(x + y + z)", "--plot", str(tmp_path / "no.png")]) == 0
    assert "one or two variables" in capsys.readouterr().err


# --------------------------------------------------------------------------- write_plot: never raises, says why
from semialg.checks.critical import for_check  # noqa: E402
from semialg.plot import write_plot  # noqa: E402

NOTE = "semialg check: no plot written: "


def only_note(capsys) -> str:
    """The single stderr line write_plot printed, without the prefix (fails if it is not one note)."""
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(NOTE), err
    return lines[0][len(NOTE):]


@pytest.mark.parametrize("name, expected", [
    ("out.txt", "'.txt' is not a picture format"),
    ("out.xyz", "'.xyz' is not a picture format"),
    ("out", "has no file extension"),
])
def test_write_plot_refuses_an_unsupported_extension_and_lists_the_good_ones(tmp_path, capsys, name, expected):
    path = tmp_path / name
    assert write_plot(check("abs(x)"), str(path), None, "check") is False
    note = only_note(capsys)
    assert expected in note and ".png" in note and ".pdf" in note and ".svg" in note
    assert not path.exists()


def test_write_plot_refuses_a_directory_and_a_missing_directory(tmp_path, capsys):
    r = check("abs(x)")
    assert write_plot(r, str(tmp_path), None, "check") is False
    assert only_note(capsys) == f"{tmp_path} is a directory; give a file name such as {tmp_path / 'plot.png'}"
    missing = tmp_path / "no" / "such" / "p.png"
    assert write_plot(r, str(missing), None, "check") is False
    assert only_note(capsys) == f"the directory {missing.parent} does not exist"
    assert not (tmp_path / "no").exists()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into read-only directories")
def test_write_plot_refuses_a_read_only_directory(tmp_path, capsys):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        assert write_plot(check("abs(x)"), str(ro / "p.png"), None, "check") is False
        assert "permission denied" in only_note(capsys).lower()
        assert not (ro / "p.png").exists()
    finally:
        ro.chmod(0o700)


def test_write_plot_survives_a_failing_write(tmp_path, capsys, monkeypatch):
    """An OSError from savefig itself (e.g. a read-only file system, which root meets too) is a note."""
    from matplotlib.figure import Figure
    path = tmp_path / "p.png"

    def refuse(self, fname, *args, **kwargs):
        open(fname, "wb").close()  # a half-written file must not be left behind
        raise PermissionError(13, "Permission denied", str(fname))

    monkeypatch.setattr(Figure, "savefig", refuse)
    assert write_plot(check("abs(x)"), str(path), None, "check") is False
    assert only_note(capsys) == f"cannot write {path}: Permission denied"
    assert not path.exists()


def test_write_plot_survives_any_drawing_error(tmp_path, capsys, monkeypatch):
    from semialg import plot

    def broken(*args, **kwargs):
        raise ValueError("boom")

    monkeypatch.setattr(plot, "plot_result", broken)
    assert write_plot(check("abs(x)"), str(tmp_path / "p.png"), None, "check") is False
    assert only_note(capsys) == "drawing failed (ValueError: boom)"


def test_write_plot_refuses_what_it_cannot_draw(tmp_path, capsys):
    path = tmp_path / "p.png"
    assert write_plot(check("relu(x + y + z)"), str(path), None, "check") is False
    assert only_note(capsys) == "plots are drawn for one or two variables; this function has 3"
    assert write_plot(check("where(x > 0, 1, 0)"), str(path), None, "check") is False
    assert only_note(capsys) == "the function is not locally Lipschitz: no Clarke sets to plot"
    assert write_plot(check("relu(x), x"), str(path), None, "check") is False
    assert "2 outputs" in only_note(capsys)
    assert not path.exists()


def test_write_plot_without_matplotlib(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    assert write_plot(check("abs(x)"), str(tmp_path / "p.png"), None, "check") is False
    assert "need matplotlib" in only_note(capsys)


def test_write_plot_success_names_the_absolute_path(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert write_plot(critical("x - (relu(-x) - relu(x) + x)"), "pic.png", None, "critical") is True
    assert capsys.readouterr().err == f"semialg critical: wrote the plot to {tmp_path / 'pic.png'}\n"
    assert is_png(tmp_path / "pic.png")
    r = check("abs(x) + abs(y)", rule="jax")
    assert write_plot(r, str(tmp_path / "pic.svg"), for_check(r), "check") is True
    assert capsys.readouterr().err == f"semialg check: wrote the plot to {tmp_path / 'pic.svg'}\n"
    assert (tmp_path / "pic.svg").read_text().lstrip().startswith("<?xml")


def test_cli_bad_plot_file_keeps_the_exit_code(tmp_path, capsys):
    assert main(["check", "abs(x)", "--plot", str(tmp_path / "out.xyz")]) == 0
    assert NOTE + "'.xyz' is not a picture format" in capsys.readouterr().err
    assert main(["critical", "x - (relu(-x) - relu(x) + x)", "--plot", str(tmp_path)]) == 1
    assert "semialg critical: no plot written: " in capsys.readouterr().err


# --------------------------------------------------------------------------- what the pictures show
def legend_is_outside(fig, ax) -> bool:
    fig.canvas.draw()
    legend = ax.get_legend()
    return legend is not None and legend.get_window_extent().x0 >= ax.get_window_extent().x1


def labelled(ax) -> dict:
    """label -> the first artist carrying it (Line2D markers are what tells the kinds apart)."""
    out = {}
    for h, lab in zip(*ax.get_legend_handles_labels()):
        out.setdefault(lab, h)
    return out


def test_titles_carry_the_verdict():
    fig = plot_2d(check("abs(x) + abs(y)", rule="jax"))
    assert fig.axes[0].get_title() == "abs(x) + abs(y) - rule jax - CONSERVATIVE"
    fig = plot_1d(critical("x - (relu(-x) - relu(x) + x)"))
    assert fig.axes[0].get_title().endswith("rule pytorch - ARTIFICIAL CRITICAL POINTS")
    fig = plot_1d(critical("relu(x) - relu(x - 1)"))
    assert fig.axes[0].get_title().endswith("NO ARTIFICIAL CRITICAL POINTS")
    r = check("abs(x)", variables=["x", "y"], field="where(x > 0, 1, where(x < 0, -1, 0)), where(x == 0, 1, 0)")
    assert plot_2d(r).axes[0].get_title().endswith("- NOT CONSERVATIVE")
    long = plot_2d(critical("relu(relu(x)*y) + relu(x) - relu(-x) + x*(y + 2)")).axes[0].get_title()
    assert long.splitlines()[-1] == "rule pytorch - ARTIFICIAL CRITICAL POINTS"


def test_plot_2d_draws_contours_of_f_beneath_the_strata_and_the_legend_outside():
    from matplotlib.contour import ContourSet
    fig = plot_2d(check("abs(x) + abs(y)", rule="jax"))
    ax = fig.axes[0]
    contours = [c for c in ax.collections if isinstance(c, ContourSet) and c.get_gid() == "contours of f"]
    assert len(contours) == 1 and len(contours[0].levels) >= 5
    strata = [c for c in ax.collections if isinstance(c, ContourSet) and c.get_gid() is None]
    assert strata and all(c.get_zorder() > contours[0].get_zorder() for c in strata)
    assert "contours of f" in ax.get_legend().get_texts()[1].get_text()
    assert legend_is_outside(fig, ax)


def test_plot_1d_legends_are_outside():
    fig = plot_1d(critical("x - (relu(-x) - relu(x) + x)"))
    assert all(legend_is_outside(fig, ax) for ax in fig.axes)


def test_plot_2d_marks_clarke_critical_sets_apart_from_artificial_points():
    fig = plot_2d(critical("relu(relu(x)*y) + relu(x) - relu(-x) + x*(y + 2)"))
    ax = fig.axes[0]
    marks = labelled(ax)
    clarke, artificial = marks["Clarke-critical point (sample)"], marks["artificial critical point"]
    assert clarke.get_marker() != artificial.get_marker() and clarke.get_color() != artificial.get_color()
    # every marked point lies in the window: (0, -3) and (0, -2) are below the 0-D stratum (0, 0)
    lo, hi = ax.get_ylim()
    assert lo < clarke.get_ydata()[0] == -3 and lo < artificial.get_ydata()[0] == -2 < hi
    # whole strata are drawn in a highlight: the cell x < 0, y < 0 and the half-axes around it
    texts = [t.get_text() for t in plot_2d(critical("relu(x) + relu(y)")).axes[0].get_legend().get_texts()]
    assert "Clarke-critical cell (whole)" in texts and "Clarke-critical curve (whole 1-D stratum)" in texts
    assert "Clarke-critical point" in texts and "artificial critical point" not in texts


def test_check_plots_mark_clarke_critical_sets_from_the_critical_dict():
    r = check("abs(x) + abs(y)", rule="jax")
    sets = for_check(r)
    assert "Clarke-critical point" in labelled(plot_2d(r, None, sets).axes[0])
    sets = dict(sets, clarke_critical=())
    assert "Clarke-critical point" not in labelled(plot_2d(r, None, sets).axes[0])


def test_plot_1d_marks_clarke_critical_points_and_intervals():
    fig = plot_1d(critical("relu(x) - relu(x - 1)"))
    marks = labelled(fig.axes[1])
    assert marks["Clarke-critical point"].get_marker() == "o"
    assert [round(float(x), 9) for x in marks["Clarke-critical point"].get_xdata()] == [0.0]
    assert "Clarke-critical interval" in marks and "artificial critical point" not in marks
    marks = labelled(plot_1d(critical("x - (relu(-x) - relu(x) + x)")).axes[1])
    assert marks["artificial critical point"].get_marker() == "*" and "Clarke-critical point" not in marks


def test_mark_witness_joins_the_legend_outside():
    from semialg.plot import mark_witness
    r = check("abs(x)", variables=["x", "y"], field="where(x > 0, 1, where(x < 0, -1, 0)), where(x == 0, 1, 0)")
    fig = mark_witness(plot_2d(r), r)
    ax = fig.axes[0]
    assert "witness curve" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend_is_outside(fig, ax)
