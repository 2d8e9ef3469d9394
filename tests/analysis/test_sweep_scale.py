"""Big sweeps: streamed JSON/CSV identical to the plain renderers, columnar JSON, summarised tables."""

import csv
import io
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from buildorbuy.analysis.sweep import sweep
from buildorbuy.cli import app
from buildorbuy.render import sweep_render
from buildorbuy.render.sweep_render import TABLE_ROWS, iter_csv, iter_json, render_markdown, render_table


@pytest.fixture
def mixed(domain):
    """A 2-D grid where some points exclude a path (lead time past a short horizon) and winners change."""
    return sweep(domain, {"workload.tokens_per_month": np.geomspace(1e8, 1e12, 7), "paths[2].lead_time_months": [1, 40, 200]})


def test_streamed_json_is_byte_identical_to_json_dumps(mixed, monkeypatch):
    assert not mixed.recommendable.all() and len(set(mixed.winner.ravel().tolist())) > 1
    monkeypatch.setattr(sweep_render, "JSON_CHUNK", 4)  # several chunks, a partial last one
    expected = json.dumps(mixed.to_dict(), indent=2, ensure_ascii=False) + "\n"
    assert "".join(iter_json(mixed)) == expected


def test_columnar_json_carries_the_same_numbers(mixed):
    points = mixed.to_dict()["points"]
    doc = json.loads("".join(iter_json(mixed, columnar=True)))
    assert "points" not in doc and doc["paths"] == mixed.names
    cols = doc["columns"]
    for n, point in enumerate(points):
        assert {p: cols["values"][p][n] for p in mixed.params} == point["values"]
        assert {name: cols["npv"][name][n] for name in mixed.names} == point["npv"]
        assert cols["winner"][n] == point["winner"]
        assert [name for name in mixed.names if not cols["recommendable"][name][n]] == point["excluded"]


def test_streamed_csv_matches_one_row_per_point(mixed, monkeypatch):
    monkeypatch.setattr(sweep_render, "JSON_CHUNK", 5)
    rows = list(csv.reader(io.StringIO("".join(iter_csv(mixed)))))
    assert rows[0] == [*mixed.params, *(f"npv:{n}" for n in mixed.names), "winner"]
    assert len(rows) == 1 + mixed.size
    points = mixed.to_dict()["points"]
    for row, point in zip(rows[1:], points):
        assert [float(v) for v in row[: len(mixed.params)]] == list(point["values"].values())
        assert row[-1] == (point["winner"] or "")
        assert float(row[len(mixed.params)]) == pytest.approx(point["npv"][mixed.names[0]], abs=0.006)


def test_long_one_parameter_table_is_a_sample_keeping_every_winner_change(small):
    costs = np.linspace(0, 30000, 5001)  # A wins while its staff cost is below 15,000
    result = sweep(small, {"paths[A].staff[0].annual_cost": costs})
    change = int(np.flatnonzero(result.winner[1:] != result.winner[:-1])[0])
    picks = result.sample_indices(TABLE_ROWS)
    assert len(picks) <= TABLE_ROWS + 4 and picks[0] == 0 and picks[-1] == len(costs) - 1
    assert {change, change + 1} <= set(picks.tolist())
    assert np.all(np.diff(picks) > 0)
    text = render_table(result, color=False, width=120)
    body = [line for line in text.splitlines() if "★" in line and "NPV by value" not in line]
    assert len(body) == len(picks)
    assert f"{len(picks)} of 5,001 points shown" in text and "--format csv or json" in text
    assert f"{len(picks)} of 5,001 points shown" in render_markdown(result)


def test_short_one_parameter_table_shows_every_point(small):
    result = sweep(small, {"paths[A].staff[0].annual_cost": [0, 10000, 16000]})
    text = render_table(result, color=False, width=120)
    assert len([line for line in text.splitlines() if "★" in line and "NPV by value" not in line]) == 3 and "points shown" not in text


def test_cli_streams_json_to_a_file_and_columnar_needs_json(tmp_path, domain):
    scenario = domain._source
    out = tmp_path / "sweep.json"
    args = ["sweep", scenario, "-p", "workload.tokens_per_month", "-r", "1e8:1e12:301:log", "-f", "json", "-o", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert len(json.loads(out.read_text())["points"]) == 301
    result = CliRunner().invoke(app, [*args, "--columnar"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(out.read_text())["columns"]["winner"]) == 301
    bad = CliRunner().invoke(app, ["sweep", scenario, "-p", "workload.tokens_per_month", "-r", "1e8:1e12:3", "--columnar"])
    assert bad.exit_code == 2 and "--format json" in bad.output


@pytest.mark.parametrize("key", ["workload.output_share", "paths[0].lead_time_months", "paths[0].success_probability",
                                 "workload.tokens_per_month"])
def test_vectorised_range_check_agrees_with_bounds_contains(small, key):
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from buildorbuy.errors import ScenarioError
    from buildorbuy.scenario.fields import check_values, field_bounds

    bounds = field_bounds(small, key)
    edges = [v for v in (bounds.low, bounds.high) if np.isfinite(v)]
    numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([*edges, 0.0, 0.5, 1.0, 2.0, -1.0]))

    @settings(max_examples=60, deadline=None)
    @given(st.lists(numbers, min_size=1, max_size=6))
    def check(values):
        bad = [v for v in values if not bounds.contains(v)]
        if bad:
            with pytest.raises(ScenarioError, match=f"^.*{bad[0]:g} is outside".replace("+", r"\+")):
                check_values(small, key, values, cross_checks=False)
        else:
            check_values(small, key, values, cross_checks=False)

    check()
