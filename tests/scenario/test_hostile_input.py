"""Hostile and odd scenario files: every one ends in a one-line error and exit status 2, quickly.

Each case here used to crash with a traceback, hang, exhaust memory or be accepted silently.
"""

from __future__ import annotations

import json
import time

import pytest
import yaml
from typer.testing import CliRunner

from buildorbuy.cli import app
from buildorbuy.errors import ScenarioError
from buildorbuy.scenario.loading import load_scenario, read_raw
from tests.conftest import REPO, base_scenario, one_line_error

runner = CliRunner()

BASE = """\
name: T
start: 2026-01
workload: {tokens_per_month: 1B}
paths:
  - {name: A, kind: api, price_per_1k_input: 0.001, price_per_1k_output: 0.002}
"""


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def write(tmp_path, text: str | bytes, name: str = "s.yaml"):
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _bomb(levels: int) -> str:
    out = [BASE, "a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels + 1):
        out.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- item 14: alias bombs


@pytest.mark.parametrize("levels", [7, 12, 30])
def test_alias_bomb_is_refused_quickly(tmp_path, levels):
    path = write(tmp_path, _bomb(levels))
    start = time.perf_counter()
    with pytest.raises(ScenarioError, match="aliases") as info:
        read_raw(path)
    assert time.perf_counter() - start < 5  # before the fix: 7 s and 1.15 GB at 7 levels; never returned at 9
    assert info.value.line is not None
    assert "aliases" in one_line_error(run("validate", path))


def test_aliases_are_expanded_into_copies_so_an_override_changes_one_place(tmp_path):
    shared = yaml.safe_load("a: &s {x: 1}\nb: *s\n")
    assert shared["a"] is shared["b"]  # what a plain YAML load does: one object behind both names
    text = BASE.replace("  - {name: A,", "  - &d {name: A,") + "  - <<: *d\n    name: B\n"
    scenario = load_scenario(write(tmp_path, text), ["paths[A].price_per_1k_input=0.005"])
    assert [p.price_per_1k_input for p in scenario.paths] == [0.005, 0.001]
    data, _ = read_raw(write(tmp_path, "a: &s {x: 1}\nb: *s\n", "two.yaml"))
    assert data["a"] == data["b"] and data["a"] is not data["b"]


# ---------------------------------------------------------------- item 16: tracebacks become one line


@pytest.mark.parametrize(
    "name, text, words",
    [
        ("surrogate.json", '{"name": "\\ud800", "workload": {"tokens_per_month": 1}, "paths": []}', "surrogate"),
        ("deep.yaml", "name: " + "[" * 400 + "]" * 400 + "\n", "nested"),
        ("deep.json", '{"name": ' + "[" * 10_000 + "]" * 10_000 + "}", "nested"),
        ("deep.toml", "name = " + "[" * 10_000 + "]" * 10_000 + "\n", "nested"),
        ("self.yaml", "name: &a [*a]\n", "contains it"),
        ("listkey.yaml", "? [a, b]\n: 1\n", "not a list"),
        ("bigint.yaml", BASE + "horizon_months: " + "9" * 5000 + "\n", "5,000 digits"),
        ("bigint.json", '{"horizon_months": ' + "9" * 5000 + "}", "5,000 digits"),
        ("bigint.toml", "horizon_months = " + "9" * 5000 + "\n", "5,000 digits"),
    ],
)
def test_crashing_files_give_one_line_errors(tmp_path, name, text, words):
    path = write(tmp_path, text, name)
    line = one_line_error(run("validate", path))
    assert words in line
    assert str(path) in line


def test_a_lone_surrogate_is_refused_in_yaml_too(tmp_path):
    path = write(tmp_path, BASE.replace("name: T", 'name: "\\ud800"'))
    one_line_error(run("validate", path))
    one_line_error(run("compare", path))


@pytest.mark.parametrize(
    "override, words",
    [
        ("name=&a [*a]", "contains it"),
        ("horizon_months=" + "9" * 5000, "digits"),
        (".=1", "field path"),
        ("=1", "field path"),
        ("paths[].name=x", "field path"),
        ("name=\udcff\udcfe", "surrogate"),  # `--set name=$'\xff\xfe'`: argv bytes that are not UTF-8
    ],
)
def test_crashing_overrides_give_one_line_errors(tmp_path, override, words):
    path = write(tmp_path, BASE)
    assert words in one_line_error(run("validate", path, "--set", override))


def test_samples_beyond_float_range_is_a_usage_error(tmp_path):
    path = write(tmp_path, BASE)
    assert "--samples" in one_line_error(run("simulate", path, "--samples", "1e400"))


# ---------------------------------------------------------------- item 18: YAML 1.1 numbers


@pytest.mark.parametrize(
    "value, words",
    [("036", "octal"), ("1:30", "base 60"), ("0x1F", "hexadecimal"), ("0b101", "binary"), ("1_0_0_", "underscores"),
     ("1:30.5", "base 60")],
)
def test_yaml_11_numbers_that_read_differently_are_refused(tmp_path, value, words):
    path = write(tmp_path, BASE + f"horizon_months: {value}\n")
    line = one_line_error(run("validate", path))
    assert words in line and ":6:" in line and "horizon_months" in line and "quote" in line


def test_plain_numbers_still_read_as_before(tmp_path):
    data, _ = read_raw(write(tmp_path, BASE + "horizon_months: 1_2\ndiscount_rate: 0.5\nx: -0\ny: .5\nz: 1.5e+3\n"))
    assert data["horizon_months"] == 12 and data["discount_rate"] == 0.5
    assert data["x"] == 0 and data["y"] == 0.5 and data["z"] == 1500.0
    assert data["start"] == "2026-01"


def test_quoted_octal_looking_text_stays_text(tmp_path):
    scenario = load_scenario(write(tmp_path, BASE.replace("name: T", "name: '036'")))
    assert scenario.name == "036"


# ---------------------------------------------------------------- item 20


@pytest.mark.parametrize("suffix", ["json", "toml", "yaml"])
def test_a_utf8_byte_order_mark_is_accepted_in_every_format(tmp_path, suffix):
    data = base_scenario()
    if suffix == "json":
        text = json.dumps(data)
    elif suffix == "toml":
        text = ('name = "test"\nstart = "2026-01"\nhorizon_months = 12\n[workload]\ntokens_per_month = 1e9\n'
                '[[paths]]\nname = "API"\nkind = "api"\nprice_per_1k_input = 0.001\nprice_per_1k_output = 0.002\n')
    else:
        text = yaml.safe_dump(data)
    path = write(tmp_path, b"\xef\xbb\xbf" + text.encode(), f"s.{suffix}")
    result = run("validate", path)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("key, kind", [("1", "int"), ("~", "null"), ("yes", "bool"), ("1.5", "float")])
def test_keys_that_are_not_text_are_refused_with_their_line(tmp_path, key, kind):
    path = write(tmp_path, BASE + f"{key}: 2\n")
    line = one_line_error(run("validate", path))
    assert f"{path}:6:" in line and kind in line and "not text" in line


def test_set_changing_a_kind_is_blamed_on_set_not_on_a_file_line(tmp_path):
    path = write(tmp_path, BASE)
    line = one_line_error(run("compare", path, "--set", "paths[0].kind=build"))
    assert "(from --set)" in line and f"{path}:" not in line.replace(f"{path}: ", "")
    listed = run("validate", path, "--set", "paths[0].kind=build")
    assert listed.exit_code == 2
    for entry in listed.stderr.strip().splitlines():
        assert "(from --set)" in entry and f"{path}:5" not in entry, entry


def test_a_full_width_digit_is_not_an_index(tmp_path):
    path = write(tmp_path, BASE)
    line = one_line_error(run("validate", path, "--set", "paths[\uff10].name=x"))
    assert "no entry named" in line


def test_overriding_a_merged_key_is_allowed(tmp_path):
    text = BASE.replace("  - {name: A,", "  - &d {name: A,") + "  - <<: *d\n    name: B\n"
    scenario = load_scenario(write(tmp_path, text))
    assert [p.name for p in scenario.paths] == ["A", "B"]
    assert scenario.paths[1].price_per_1k_output == 0.002


def test_merge_keys_follow_standard_yaml_semantics(tmp_path):
    text = ("defaults: &d {name: A, kind: api}\n"
            "one: {<<: *d, name: B}\n"
            "two: {<<: [{name: C, x: 1}, *d], y: 2}\n")
    data, lines = read_raw(write(tmp_path, text))
    assert data["one"] == {"name": "B", "kind": "api"}
    assert data["two"] == {"name": "C", "x": 1, "kind": "api", "y": 2}
    assert lines[("one", "name")] == 2


def test_a_key_given_twice_is_still_refused(tmp_path):
    line = one_line_error(run("validate", write(tmp_path, BASE + "name: again\n")))
    assert "duplicate key 'name'" in line and ":6:" in line


def test_files_over_the_size_cap_are_refused(tmp_path):
    path = write(tmp_path, BASE + "# " + "x" * 6_000_000 + "\n")
    start = time.perf_counter()
    line = one_line_error(run("validate", path))
    assert "larger than 5 MB" in line
    assert time.perf_counter() - start < 5


def test_line_numbers_come_from_the_single_parse(tmp_path):
    path = write(tmp_path, BASE.replace("0.002}", "-0.002}"))
    line = one_line_error(run("validate", path))
    assert f"{path}:5: paths[0].price_per_1k_output" in line


# ---------------------------------------------------------------- item 15: list lengths


@pytest.mark.parametrize(
    "where, count, field",
    [("staff", 201, "paths[0].staff"), ("paths", 101, "paths"), ("schedule", 601, "workload.schedule"),
     ("correlations", 1001, "correlations")],
)
def test_list_lengths_are_capped_with_the_field_named(write_yaml, where, count, field):
    data = base_scenario()
    if where == "staff":
        data["paths"][0]["staff"] = [{"role": f"r{i}", "annual_cost": 1000} for i in range(count)]
    elif where == "paths":
        data["paths"] = [dict(data["paths"][0], name=f"p{i}") for i in range(count)]
    elif where == "schedule":
        data["workload"] = {"schedule": [1e9] * count}
        data["horizon_months"] = 600
    else:
        data["correlations"] = [{"a": "x", "b": "y", "rank": 0.1}] * count
    line = one_line_error(run("validate", write_yaml(data)))
    assert f"{field}: too many entries ({count:,})" in line


def test_the_largest_allowed_lists_still_load(write_yaml):
    data = base_scenario(horizon_months=600)
    data["paths"] = [dict(data["paths"][0], name=f"p{i}") for i in range(100)]
    data["paths"][0]["staff"] = [{"role": f"r{i}", "annual_cost": 1000} for i in range(200)]
    data["workload"] = {"schedule": [1e9] * 600}
    result = run("validate", write_yaml(data))
    assert result.exit_code == 0, result.output


# ---------------------------------------------------------------- item 19: derived values


def test_an_absurd_derived_fleet_is_refused_naming_the_throughput_field():
    scenario = REPO / "scenarios" / "enterprise-support.yaml"
    line = one_line_error(run("compare", scenario, "--set", "paths[1].serving.tokens_per_second_per_gpu=1e-300"))
    assert "paths[1].serving.tokens_per_second_per_gpu" in line and "GPUs" in line
    assert "e+305" in line  # before: 3.35e+291T GPUs over 30 wrapped lines, costs of 1e292


def test_a_fleet_grown_by_absurd_traffic_blames_the_workload():
    scenario = REPO / "scenarios" / "enterprise-support.yaml"
    line = one_line_error(run("compare", scenario, "--set", "workload.growth_per_year=100", "--set", "horizon_months=600"))
    assert "enterprise-support.yaml: workload: " in line and line.endswith("(from --set)")  # file named, no line


# ---------------------------------------------------------------- without libyaml


@pytest.mark.parametrize(
    "text, words",
    [
        (BASE.replace("name: T", 'name: "\\ud800"'), "surrogate"),
        ("name: " + "[" * 400 + "]" * 400 + "\n", "nested"),
        ("name: &a [*a]\n", "contains it"),
        (BASE + "horizon_months: 036\n", "octal"),
        (_bomb(12), "aliases"),
    ],
)
def test_the_pure_python_parser_gives_the_same_errors(tmp_path, monkeypatch, text, words):
    from buildorbuy.scenario import _yaml

    monkeypatch.setattr(_yaml, "_loader_class", lambda: yaml.SafeLoader)
    with pytest.raises(ScenarioError, match=words):
        read_raw(write(tmp_path, text))


def test_the_pure_python_parser_reads_the_same_data_and_lines(tmp_path, monkeypatch):
    from buildorbuy.scenario import _yaml

    path = REPO / "scenarios" / "uncertain-enterprise.yaml"
    fast = read_raw(path)
    monkeypatch.setattr(_yaml, "_loader_class", lambda: yaml.SafeLoader)
    assert read_raw(path) == fast


def test_running_out_of_memory_is_a_one_line_error(tmp_path, monkeypatch):
    import buildorbuy.analysis.compare as compare_module

    def exhausted(*args, **kwargs):
        raise MemoryError("Unable to allocate 39.5 GiB")

    monkeypatch.setattr(compare_module, "compare", exhausted)
    line = one_line_error(run("compare", write(tmp_path, BASE)))
    assert "out of memory" in line


def test_absurd_derived_costs_are_refused_naming_the_path():
    scenario = REPO / "scenarios" / "enterprise-support.yaml"
    line = one_line_error(run("compare", scenario, "--set", "paths[0].staff[0].salary_growth_per_year=100",
                              "--set", "horizon_months=600", "--set", "workload.growth_per_year=0"))
    assert "enterprise-support.yaml: paths[0]: costs reach" in line and "staff" in line  # before: 123-digit figures over 30 lines
