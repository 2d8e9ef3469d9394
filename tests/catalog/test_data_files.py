"""Every data file shipped in the package is validated here with its strict schema.

At run time the catalogs are built from these files without validation (`_lookup.construct`),
so these tests are what keeps a bad figure, a typo'd key or a wrong type out of a release.
"""

import datetime as dt

import pytest
from pydantic import BaseModel, ValidationError

from buildorbuy.catalog import _lookup, gpus, models

DATA_FILES = [("gpus.yaml", lambda: gpus._models()[0]), ("models.yaml", models._schema)]


def _typed(value):
    """A model's data with the type of every leaf, so 80 and 80.0 compare unequal."""
    if isinstance(value, BaseModel):
        return (type(value).__name__, {k: _typed(v) for k, v in value.__dict__.items()})
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_typed(v) for v in value]
    return (type(value).__name__, value)


@pytest.mark.parametrize("filename, schema", DATA_FILES, ids=[f for f, _ in DATA_FILES])
def test_shipped_file_is_valid_and_unvalidated_reading_gives_the_same_values(filename, schema):
    validated = _lookup.read_data_file(filename, schema(), validate=True)
    constructed = _lookup.read_data_file(filename, schema())
    assert _typed(constructed) == _typed(validated)


def test_construct_converts_like_validation():
    from typing import Literal

    from pydantic import ConfigDict

    class Inner(BaseModel):
        model_config = ConfigDict(defer_build=True)
        x: float
        tags: list[str] = []

    class Outer(BaseModel):
        model_config = ConfigDict(defer_build=True)
        kind: Literal["a", "b"]
        inner: Inner | None
        many: list[Inner]
        by_name: dict[str, Inner]
        when: dt.date | None = None
        count: int = 3

    data = {"kind": "a", "inner": {"x": "6.74e9"}, "many": [{"x": 1.5, "tags": ["t"]}], "by_name": {"k": {"x": 7}},
            "when": dt.date(2025, 1, 2), "count": "4"}
    assert _typed(_lookup.construct(Outer, data)) == _typed(Outer.model_validate(data))
    assert _typed(_lookup.construct(Outer, {**data, "inner": None})) == _typed(Outer.model_validate({**data, "inner": None}))


def test_a_bad_shipped_figure_is_caught_by_validation():
    import importlib.resources

    original = importlib.resources.files("buildorbuy.catalog").joinpath("data/gpus.yaml").read_text(encoding="utf-8")
    assert "bf16_tflops:" in original
    gpus._models()[0].model_validate(_lookup.load_yaml(original))
    broken = original.replace("bf16_tflops:", "bf16_tflops: -1 #", 1)
    with pytest.raises(ValidationError):
        gpus._models()[0].model_validate(_lookup.load_yaml(broken))


@pytest.mark.parametrize("filename", _lookup.DATA_FILES)
def test_json_copy_is_current_and_holds_the_yaml_data(filename):
    """Run-time reads use `<name>.json`; after editing the YAML, regenerate it with
    `python -c "from buildorbuy.catalog._lookup import write_json_copy as w; w('<name>.yaml')"`."""
    import hashlib
    import json

    raw = _lookup.data_path(filename).read_bytes()
    copy = json.loads(_lookup.data_path(filename).with_suffix(".json").read_text(encoding="utf-8"))
    assert copy["source_sha256"] == hashlib.sha256(raw).hexdigest(), f"{filename}: JSON copy is stale"
    assert copy["data"] == _lookup.load_yaml(raw.decode("utf-8"))
    assert _lookup.load_data(filename) == copy["data"]


def test_an_edited_yaml_is_read_as_yaml_not_from_its_stale_copy(tmp_path, monkeypatch):
    import shutil

    for suffix in (".yaml", ".json"):
        shutil.copy(_lookup.data_path("models.yaml").with_suffix(suffix), tmp_path / f"models{suffix}")
    monkeypatch.setattr(_lookup, "data_path", lambda name: tmp_path / name)
    assert _lookup.load_data("models.yaml")["schema_version"] == 1
    text = (tmp_path / "models.yaml").read_text(encoding="utf-8")
    (tmp_path / "models.yaml").write_text(text.replace("schema_version: 1", "schema_version: 2", 1), encoding="utf-8")
    assert _lookup.load_data("models.yaml")["schema_version"] == 2
    (tmp_path / "models.json").unlink()
    assert _lookup.load_data("models.yaml")["schema_version"] == 2


def test_gpu_catalog_read_without_the_models_gives_the_validated_values_and_types():
    """The run-time GPU catalog is built from gpus.yaml's plain data; validating the file gives the same."""
    import dataclasses

    def typed(value):
        if dataclasses.is_dataclass(value):
            return (type(value).__name__, [(f.name, typed(getattr(value, f.name))) for f in dataclasses.fields(value)])
        if isinstance(value, (list, tuple)):
            return [typed(v) for v in value]
        if isinstance(value, dict):
            return {k: typed(v) for k, v in value.items()}
        return (type(value).__name__, value)

    validated = gpus._models()[0].model_validate(_lookup.load_yaml(_lookup.data_path("gpus.yaml").read_text(encoding="utf-8")))
    assert [s.id for s in gpus.list_gpus()] == [e.id for e in validated.gpus]
    for entry in validated.gpus:
        assert typed(gpus.get_gpu(entry.id)) == typed(gpus._spec(entry.model_dump())), entry.id
    assert any(isinstance(e.memory_gb, float) and e.memory_gb == int(e.memory_gb) for e in gpus.list_gpus())  # 80 → 80.0
    terms = validated.owned_terms
    assert typed(gpus.owned_terms()) == typed(gpus.OwnedTerms(
        server_overhead=terms.server_overhead.value, hosting_usd_per_kw_month=terms.hosting_usd_per_kw_month.value,
        power_utilization=terms.power_utilization.value, maintenance_per_year=terms.maintenance_per_year.value,
        power_price_per_kwh=dict(terms.power_price_per_kwh.by_currency), reserved_price_ratio=terms.reserved_price_ratio.value,
        sources={name: getattr(terms, name).source for name in type(terms).model_fields}))
    assert gpus.OWNED_TERMS == tuple(type(terms).model_fields)
