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
    assert "pip install 'buildorbuy[report]'" in info.value.one_line()
