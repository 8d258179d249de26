"""Plots: 1-D and 2-D pictures from check and critical results, the --plot options, bad input."""
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
