"""Charts: real PNG and SVG files, not blank, reproducible, and no dependency on system fonts."""

from __future__ import annotations

import numpy as np
import pytest

from buildorbuy import compare, load_scenario
from buildorbuy.render import charts
from tests.conftest import SCENARIOS
from tests.report.helpers import png_size, png_variance

ENTERPRISE = next(s for s in SCENARIOS if "enterprise" in s.name)


@pytest.fixture(scope="module")
def enterprise():
    return compare(load_scenario(ENTERPRISE))


def test_every_chart_is_a_nonblank_png_and_an_svg(enterprise, tmp_path):
    tornado = {"metric": "NPV", "baseline": 9.5e6, "rows": [
        {"input": "serving.gpu_hour_price", "low": 2, "high": 4, "at_low": 8e6, "at_high": 11e6},
        {"input": "workload.tokens_per_month", "low": 60e9, "high": 240e9, "at_low": 7e6, "at_high": 14e6}]}
    rng = np.random.default_rng(1)
    samples = {p.name: rng.normal(p.npv, 0.1 * p.npv, 500) for p in enterprise.paths}
    result = charts.render_charts(enterprise, tornado=tornado, npv_samples=samples)
    searched = {"fleet_search"} if charts.search_curves(enterprise) else set()  # an `auto` fleet search's NPV curve
    assert set(result.files) == {"cumulative", "components", "gpus", "tornado", "npv_distribution"} | searched
    for name, files in result.files.items():
        width, height = png_size(files["png"])
        assert width >= 600 and height >= 300, name
        path = tmp_path / f"{name}.png"
        path.write_bytes(files["png"])
        assert png_variance(path) > 1e-3, f"{name} looks blank"
        svg = files["svg"].decode("utf-8")
        assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "</svg>" in svg
        assert "<dc:date>" not in svg


def test_charts_are_byte_for_byte_reproducible(enterprise):
    first = charts.render_charts(enterprise, formats=("png", "svg"))
    second = charts.render_charts(enterprise, formats=("png", "svg"))
    assert first.files == second.files


def test_api_only_scenario_has_no_gpu_chart(write_yaml):
    from tests.conftest import api_path, base_scenario

    cmp = compare(load_scenario(write_yaml(base_scenario(paths=[api_path("A"), api_path("B", price_in=0.002)]))))
    assert "gpus" not in charts.render_charts(cmp, formats=("png",)).files


def test_chinese_without_a_cjk_font_keeps_english_labels_and_says_so(enterprise, monkeypatch):
    monkeypatch.setattr(charts, "find_cjk_font", lambda: None)
    result = charts.render_charts(enterprise, lang="zh", formats=("svg",))
    assert result.lang == "en"
    assert result.notice and "中文字体" in result.notice
    # the reader may not read Chinese, and needs to know what to install
    assert "No Chinese font" in result.notice and "fonts-noto-cjk" in result.notice
    english = charts.render_charts(enterprise, lang="en", formats=("svg",))
    assert english.notice is None


def test_chinese_path_names_do_not_break_charts(write_yaml):
    from tests.conftest import api_path, base_scenario

    cmp = compare(load_scenario(write_yaml(base_scenario(paths=[api_path("通义千问"), api_path("文心一言", price_in=0.002)]))))
    assert charts.render_charts(cmp, lang="en", font=None, formats=("png",)).files["cumulative"]["png"]


def test_missing_matplotlib_is_a_one_line_install_hint(monkeypatch):
    import sys

    from buildorbuy.errors import MissingDependencyError

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(MissingDependencyError) as info:
        charts.require_matplotlib()
    assert "pip install '.[report]' (from a checkout) or pip install 'buildorbuy[report]' (from an index)" \
        in info.value.one_line()


@pytest.fixture(scope="module")
def twins():
    """enterprise-support plus an identical copy of its hosted path: three paths, two identical
    series with the same go-live month."""
    import yaml

    from buildorbuy.scenario.loading import scenario_from_dict

    data = yaml.safe_load(ENTERPRISE.read_text())
    data["paths"].append({**data["paths"][1], "name": "Same fine-tune, other team"})
    return compare(scenario_from_dict(data))


def _drawn(fig):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def _text_boxes(fig, renderer):
    boxes = []
    for ax in fig.axes:
        boxes += [t.get_window_extent(renderer) for t in ax.texts if t.get_visible() and t.get_text()]
        if ax.get_legend():
            boxes.append(ax.get_legend().get_window_extent(renderer))
    boxes += [legend.get_window_extent(renderer) for legend in fig.legends]
    return boxes


def test_go_live_labels_and_the_legend_do_not_overprint(twins):
    with charts._style(None):
        fig = charts.cumulative_figure(twins, "en")
        renderer = _drawn(fig)
    boxes = _text_boxes(fig, renderer)
    assert len(boxes) >= 1
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b), (a, b)
    legend_text = " ".join(t.get_text() for legend in [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend())]
                           for t in legend.get_texts())
    assert "month 4" in legend_text  # the go-live month is still said, in the legend


def test_every_components_panel_has_month_labels(twins):
    with charts._style(None):
        fig = charts.components_figure(twins, "en")
        _drawn(fig)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert len(panels) == 3
    for ax in panels:
        labels = [t.get_text() for t in ax.get_xticklabels() if t.get_visible() and t.get_text()]
        assert labels, ax.get_title()


@pytest.mark.parametrize("figure", ["cumulative_figure", "gpus_figure"])
def test_identical_series_stay_distinguishable(twins, figure):
    with charts._style(None):
        fig = getattr(charts, figure)(twins, "en")
    lines = [line for line in fig.axes[0].get_lines() if len(line.get_xdata()) > 2]
    styles = {}
    for line in lines:
        key = tuple(np.round(np.asarray(line.get_ydata(), dtype=float), 6))
        styles.setdefault(key, []).append((line.get_marker(), line.get_linestyle(), tuple(np.asarray(line.get_xdata(), dtype=float))))
    same = [group for group in styles.values() if len(group) > 1]
    assert same, "the twin paths should draw identical data"
    for group in same:
        assert len(set(group)) == len(group), group


def test_many_paths_chart_a_dozen_with_the_recommended_and_runner_up_and_say_so(write_yaml):
    """40 paths: every chart draws MAX_CHART_PATHS of them (100 panels of monthly bars took minutes)."""
    from tests.conftest import api_path, base_scenario

    count = 40
    paths = [api_path(f"P{i:02d}", price_in=0.001 + 0.0001 * ((i * 7) % count)) for i in range(count)]
    cmp = compare(load_scenario(write_yaml(base_scenario(paths=paths))))
    shown = charts.charted_paths(cmp)
    assert len(shown) == charts.MAX_CHART_PATHS
    names = [p.name for p in shown]
    assert cmp.recommendation["path"] in names and cmp.recommendation["reason_parts"]["runner_up"] in names
    cheapest = sorted(cmp.paths, key=lambda p: p.npv)[: charts.MAX_CHART_PATHS]
    assert set(names) == {p.name for p in cheapest}
    assert names == [p.name for p in cmp.paths if p.name in names]  # the scenario's order

    fig = charts.cumulative_figure(cmp, "en")
    assert len([line for line in fig.axes[0].get_lines() if line.get_label() in names]) == charts.MAX_CHART_PATHS
    assert f"({charts.MAX_CHART_PATHS} of {count} paths" in fig.axes[0].get_title()
    panels = [ax for ax in charts.components_figure(cmp, "zh").axes if ax.get_visible()]
    assert len(panels) == charts.MAX_CHART_PATHS
    rng = np.random.default_rng(2)
    samples = {p.name: rng.normal(p.npv, 1.0, 50) for p in cmp.paths}
    dist = charts.npv_distribution_figure(samples, "USD", "en")
    assert len(dist.axes[0].get_legend().get_texts()) == charts.MAX_CHART_PATHS
    assert f"({charts.MAX_CHART_PATHS} of {count} paths" in dist.axes[0].get_title()


def test_a_dozen_paths_or_fewer_are_all_charted(enterprise):
    assert charts.charted_paths(enterprise) == list(enterprise.paths)
    assert " of " not in charts.cumulative_figure(enterprise, "en").axes[0].get_title()
