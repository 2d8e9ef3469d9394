"""Open-weight model catalog: total and active parameters, KV-cache shape, context, licence,
from `data/models.yaml` (figures from each model's config.json and card on Hugging Face)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from buildorbuy.catalog._lookup import build_index, normalise, read_data_file, resolve

_SUFFIXES = ("instruct", "chat", "base", "hf", "it")


@dataclass(frozen=True)
class ModelSpec:
    """One open model. Parameters are counts (not billions); `params_active` is per token (MoE)."""

    id: str
    name: str
    family: str
    params_total: float
    params_active: float
    layers: int
    kv_heads: int | None
    head_dim: int | None
    kv_elements_per_token: float
    """KV-cache elements per token of one sequence, all layers, K and V."""
    context_length: int
    default_precision: str
    license: str
    source: str
    release: str | None = None
    aliases: tuple[str, ...] = ()
    verification: tuple[tuple[str, str], ...] = ()
    notes: str | None = None

    @property
    def params(self) -> float:
        """Total parameters (same as `params_total`; the scenario file calls it `params`)."""
        return self.params_total

    @property
    def is_moe(self) -> bool:
        return self.params_active < self.params_total


def _schema():
    from typing import Literal

    from pydantic import BaseModel, ConfigDict, Field, model_validator

    Verification = Literal["verified_primary", "verified_secondary", "derived", "unverified"]

    class _Strict(BaseModel):
        model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)  # validated in tests

    class ModelEntry(_Strict):
        id: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]*$")
        name: str
        family: str
        repo: str
        """Hugging Face repository the figures come from."""
        params_total: float = Field(gt=0)
        params_active: float = Field(gt=0)
        layers: int = Field(gt=0)
        kv_heads: int | None = Field(default=None, gt=0)
        head_dim: int | None = Field(default=None, gt=0)
        kv_elements_per_token: float | None = Field(default=None, gt=0)
        context_length: int = Field(gt=0)
        default_precision: Literal["bf16", "fp16", "fp8", "int8", "int4", "fp4"]
        license: str
        release: str | None = None
        aliases: list[str] = []
        verification: dict[str, Verification]
        notes: str | None = None

        @model_validator(mode="after")
        def _check(self):
            if self.params_active > self.params_total:
                raise ValueError("params_active exceeds params_total")
            if self.kv_elements_per_token is None and (self.kv_heads is None or self.head_dim is None):
                raise ValueError("give kv_heads and head_dim, or kv_elements_per_token")
            return self

    class ModelFile(_Strict):
        schema_version: Literal[1]
        models: list[ModelEntry] = Field(min_length=1)

    return ModelFile


@functools.cache
def _catalog() -> tuple[dict[str, ModelSpec], dict[str, str]]:
    data = read_data_file("models.yaml", _schema())
    specs: dict[str, ModelSpec] = {}
    for e in data.models:
        if e.id in specs:
            raise ValueError(f"duplicate model id '{e.id}' in models.yaml")
        kv = e.kv_elements_per_token or 2.0 * e.layers * e.kv_heads * e.head_dim
        specs[e.id] = ModelSpec(
            id=e.id, name=e.name, family=e.family, params_total=e.params_total, params_active=e.params_active,
            layers=e.layers, kv_heads=e.kv_heads, head_dim=e.head_dim, kv_elements_per_token=kv,
            context_length=e.context_length, default_precision=e.default_precision, license=e.license,
            source=f"huggingface.co/{e.repo} (config.json, model card)", release=e.release,
            aliases=tuple(e.aliases), verification=tuple(sorted(e.verification.items())), notes=e.notes,
        )
    return specs, build_index((s.id, s.aliases) for s in specs.values())


def get_model(name: str) -> ModelSpec:
    """The model with this id or alias (case and punctuation ignored; a trailing -Instruct, -chat,
    -it, -base or -hf is dropped); CatalogError with suggestions when unknown."""
    specs, index = _catalog()
    key = normalise(name)
    for suffix in _SUFFIXES:
        if key not in index and key.endswith(suffix) and key[: -len(suffix)] in index:
            key = key[: -len(suffix)]
    return specs[resolve(key if key in index else name, index, specs, kind="model", field="model", list_command="buildorbuy catalog models")]


def list_models() -> list[ModelSpec]:
    """All models, in catalog order."""
    return list(_catalog()[0].values())
