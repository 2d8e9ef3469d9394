"""GPU catalog: dense peak rates, memory, power and dated prices, from `data/gpus.yaml`.

Every figure in the data file carries its public source and a verification label. Rates are
dense (no 2:4 sparsity); `bf16_tflops` is the 16-bit tensor-core rate with FP32 accumulate.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Literal

from buildorbuy.catalog._lookup import build_index, load_data, read_data_file, resolve

Generation = Literal["ampere", "hopper", "blackwell", "ada", "cdna3", "ascend"]
Verification = Literal["verified_primary", "verified_secondary", "derived", "unverified"]
PRECISIONS = ("bf16", "fp16", "fp8", "int8", "int4", "fp4")
InterconnectKind = Literal["nvlink", "nvswitch", "infinity_fabric", "hccs", "pcie"]
VENDOR_BY_GENERATION = {"ampere": "nvidia", "hopper": "nvidia", "blackwell": "nvidia", "ada": "nvidia", "cdna3": "amd", "ascend": "huawei"}
"""Maker of each GPU generation (serving uses a per-vendor software efficiency)."""
H100_MATMUL_RATIO = 794.5 / 989.0
"""H100 SXM achievable / peak BF16 matmul (stas00 MAMF table): the calibration's reference."""

# Upper bounds on a GPU row (catalog or inline), about 50-100x the largest real accelerator of
# 2026 (B200: 2,250 dense BF16 TFLOP/s, 9,000 FP4; 192 GB; 8 TB/s; 1,000 W; NVLink 1,800 GB/s):
# a larger figure is a typing mistake, and it would turn the costs into 1e300s or divide by zero.
MAX_TFLOPS = 1e5
MAX_MEMORY_GB = 1e5
MAX_BANDWIDTH_TBPS = 1e3
MAX_TDP_WATTS = 1e5
MAX_LINK_GB_PER_S = 1e6
MAX_RENT_USD_PER_HOUR = 1e4
MAX_PURCHASE_USD = 1e8


@dataclass(frozen=True)
class GpuSpec:
    """One accelerator. Rates in TFLOP/s (TOP/s for int8), memory in GB, bandwidth in TB/s.

    `rent_usd_per_hour` is a typical on-demand price per GPU-hour and `price_date` its date;
    `purchase_usd` is the price of one GPU (the board, not the server).
    """

    id: str
    name: str
    generation: str
    bf16_tflops: float
    fp8_tflops: float | None
    int8_tops: float | None
    memory_gb: float
    bandwidth_tbps: float
    tdp_watts: float
    rent_usd_per_hour: float | None
    purchase_usd: float | None
    price_date: str | None
    sources: tuple[str, ...]
    fp4_tflops: float | None = None
    aliases: tuple[str, ...] = ()
    rent_source: str | None = None
    purchase_date: str | None = None
    purchase_source: str | None = None
    verification: tuple[tuple[str, str], ...] = ()
    notes: str | None = None
    achievable_matmul_tflops: float | None = None
    """Measured maximum achievable dense BF16 matmul rate (MAMF), where published."""
    market: tuple[tuple[str, "MarketRule"], ...] = ()
    """Availability by market (e.g. `cn`): dated, sourced export rules on new sales."""
    nvlink_gbps: float | None = None
    """Aggregate NVLink bandwidth per GPU, GB/s, where it distinguishes a market variant (A800: 400)."""
    memory_unit: str = "GB"
    """Unit of `memory_gb` as marketed: 'GB' (10^9 bytes) or 'GiB' (2^30 bytes: HBM parts, whose
    '80 GB' is 80 GiB of HBM stacks, 85.9e9 bytes)."""

    def market_rule(self, market: str) -> "MarketRule | None":
        """The rule on new sales of this GPU in `market` (None: no rule recorded)."""
        return dict(self.market).get(market)
    interconnect_kind: str = "pcie"
    """GPU-to-GPU link inside a node: nvlink, nvswitch, infinity_fabric, hccs (meshes of direct
    links) or pcie."""
    interconnect_gb_per_s: float = 64.0
    """Interconnect bandwidth per GPU, GB/s, both directions together as vendors quote it."""

    @property
    def vendor(self) -> str:
        """'nvidia', 'amd' or 'huawei', from the generation."""
        return VENDOR_BY_GENERATION.get(self.generation, "other")

    def interconnect_bytes_per_s(self, gpus) -> "float":
        """Per-direction bytes/s one GPU can send in a collective over `gpus` GPUs (array-friendly).

        Switched fabrics (NVSwitch, NVLink) and PCIe give each GPU half the quoted two-way figure
        whatever the group size. Meshes of direct links (Infinity Fabric, HCCS: 7 links to 7
        peers in a node of 8) use only the links to the group's other members: quoted · (g − 1) / 7 / 2
        (at most all 7). Replicas beyond one node are not modelled apart (the estimator warns).
        """
        import numpy as np

        half = self.interconnect_gb_per_s * 1e9 / 2.0
        if self.interconnect_kind in ("infinity_fabric", "hccs"):
            return half * np.clip(np.asarray(gpus, float) - 1.0, 1.0, 7.0) / 7.0
        return half * np.ones_like(np.asarray(gpus, float))

    def peak_flops(self, precision: str) -> float:
        """Dense peak in FLOP/s (OP/s for integer formats) for a compute precision.

        `bf16`/`fp16` use the 16-bit rate. `fp8`, `int8` and `fp4` use their own rate where the
        GPU has one, else the next wider format it has (fp4 → fp8 → bf16; int8 → bf16). `int4`
        means weight-only quantisation with 16-bit activations (the common W4A16 kernels), so it
        runs at the bf16 rate.
        """
        p = precision.lower()
        if p not in PRECISIONS:
            from buildorbuy.errors import CatalogError

            raise CatalogError(f"unknown precision '{precision}' (known: {', '.join(PRECISIONS)})", field="precision")
        tflops = self.bf16_tflops
        if p == "fp8" and self.fp8_tflops:
            tflops = self.fp8_tflops
        elif p == "fp4":
            tflops = self.fp4_tflops or self.fp8_tflops or self.bf16_tflops
        elif p == "int8" and self.int8_tops:
            tflops = self.int8_tops
        return float(tflops) * 1e12

    @property
    def matmul_efficiency_factor(self) -> float:
        """Achievable-to-peak BF16 matmul ratio relative to the H100 SXM's (794.5 / 989), capped
        at 1; 1 where no measurement is published. MI300X: 0.64 (668 of 1307 TFLOP/s)."""
        if self.achievable_matmul_tflops is None:
            return 1.0
        return min(1.0, (self.achievable_matmul_tflops / self.bf16_tflops) / H100_MATMUL_RATIO)

    @property
    def memory_bytes(self) -> float:
        """Device memory in bytes: `memory_gb` in the catalog's `memory_unit` (HBM GPUs: GiB)."""
        return self.memory_gb * (2.0**30 if self.memory_unit == "GiB" else 1e9)

    @property
    def bandwidth_bytes_per_s(self) -> float:
        return self.bandwidth_tbps * 1e12


@dataclass(frozen=True)
class MarketRule:
    """Whether a GPU is sold new in a market, since when, under which rule, per which source."""

    new_sales: str
    """`no` (not sold new there), `licence` (each sale needs an export licence; supply curtailed) or `yes`."""
    since: str
    """Date the rule took effect, YYYY-MM-DD."""
    rule: str
    source: str
    verification: str

    def blocks(self, on: str) -> bool:
        """Whether new purchases are impossible on date `on` (YYYY-MM-DD)."""
        return self.new_sales == "no" and on >= self.since


@dataclass(frozen=True)
class OwnedTerms:
    """Sourced defaults that `auto` fills for an owned fleet (gpus.yaml `owned_terms`)."""

    server_overhead: float
    hosting_usd_per_kw_month: float
    power_utilization: float
    maintenance_per_year: float
    power_price_per_kwh: dict
    """Currency → price per kWh in that currency."""
    reserved_price_ratio: float
    """1-year reserved ÷ on-demand price per GPU-hour (rented fleets)."""
    sources: dict
    """Field → source text."""


def _models():
    from pydantic import BaseModel, ConfigDict, Field

    class _Strict(BaseModel):
        model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)  # validated in tests

    class Rent(_Strict):
        usd_per_hour: float = Field(gt=0, le=MAX_RENT_USD_PER_HOUR)
        """Typical on-demand price per GPU-hour, USD."""
        date: str
        source: str
        verification: Verification

    class Purchase(_Strict):
        usd: float = Field(gt=0, le=MAX_PURCHASE_USD)
        """Price of one GPU, USD."""
        date: str
        source: str
        verification: Verification

    class Market(_Strict):
        new_sales: Literal["no", "licence", "yes"]
        since: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
        rule: str
        source: str
        verification: Verification
    class Interconnect(_Strict):
        kind: InterconnectKind
        bandwidth_gb_per_s: float = Field(gt=0, le=MAX_LINK_GB_PER_S)
        """Per GPU, both directions together, as the vendor quotes it."""
        verification: Verification
        source: str

    class GpuEntry(_Strict):
        id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
        name: str
        generation: Generation
        aliases: list[str] = []
        bf16_tflops: float = Field(gt=0, le=MAX_TFLOPS)
        fp8_tflops: float | None = Field(default=None, gt=0, le=MAX_TFLOPS)
        fp4_tflops: float | None = Field(default=None, gt=0, le=MAX_TFLOPS)
        int8_tops: float | None = Field(default=None, gt=0, le=MAX_TFLOPS)
        memory_gb: float = Field(gt=0, le=MAX_MEMORY_GB)
        bandwidth_tbps: float = Field(gt=0, le=MAX_BANDWIDTH_TBPS)
        tdp_watts: float = Field(gt=0, le=MAX_TDP_WATTS)
        interconnect: Interconnect
        achievable_matmul_tflops: float | None = Field(default=None, gt=0, le=MAX_TFLOPS)
        sources: list[str] = Field(min_length=1)
        verification: dict[str, Verification]
        notes: str | None = None
        rent: Rent | None
        purchase: Purchase | None
        market: dict[Literal["cn"], Market] = {}
        nvlink_gbps: float | None = Field(default=None, gt=0, le=MAX_LINK_GB_PER_S)
        memory_unit: Literal["GB", "GiB"] = "GB"

    class Sourced(_Strict):
        value: float = Field(ge=0)
        source: str
        verification: Verification

    class PowerPrice(_Strict):
        by_currency: dict[str, float]
        source: str
        verification: Verification

    class OwnedTermsEntry(_Strict):
        server_overhead: Sourced
        hosting_usd_per_kw_month: Sourced
        power_utilization: Sourced
        maintenance_per_year: Sourced
        power_price_per_kwh: PowerPrice
        reserved_price_ratio: Sourced

    class GpuFile(_Strict):
        schema_version: Literal[1]
        owned_terms: OwnedTermsEntry
        gpus: list[GpuEntry] = Field(min_length=1)

    return GpuFile, GpuEntry


def _number(value) -> float | None:
    return None if value is None else float(value)


def _spec(row: dict) -> GpuSpec:
    """A GpuSpec from a row of gpus.yaml as plain data (numbers as validation makes them: float)."""
    rent, purchase, link = row.get("rent"), row.get("purchase"), row["interconnect"]
    return GpuSpec(
            id=row["id"],
            name=row["name"],
            generation=row["generation"],
            bf16_tflops=float(row["bf16_tflops"]),
            fp8_tflops=_number(row.get("fp8_tflops")),
            int8_tops=_number(row.get("int8_tops")),
            memory_gb=float(row["memory_gb"]),
            bandwidth_tbps=float(row["bandwidth_tbps"]),
            tdp_watts=float(row["tdp_watts"]),
            rent_usd_per_hour=float(rent["usd_per_hour"]) if rent else None,
            purchase_usd=float(purchase["usd"]) if purchase else None,
            price_date=rent["date"] if rent else None,
            sources=tuple(row["sources"]),
            fp4_tflops=_number(row.get("fp4_tflops")),
            aliases=tuple(row.get("aliases") or ()),
            rent_source=rent["source"] if rent else None,
            purchase_date=purchase["date"] if purchase else None,
            purchase_source=purchase["source"] if purchase else None,
            verification=tuple(sorted(row["verification"].items())),
            notes=row.get("notes"),
            achievable_matmul_tflops=_number(row.get("achievable_matmul_tflops")),
            market=tuple(sorted((name, MarketRule(**rule)) for name, rule in (row.get("market") or {}).items())),
            nvlink_gbps=_number(row.get("nvlink_gbps")),
            memory_unit=row.get("memory_unit", "GB"),
            interconnect_kind=link["kind"],
            interconnect_gb_per_s=float(link["bandwidth_gb_per_s"]),
        )


@functools.cache
def _data():
    file_model, _ = _models()
    return read_data_file("gpus.yaml", file_model)


@functools.cache
def _rows() -> dict:
    """gpus.yaml as plain data: the catalog and the owned-fleet terms are built from it directly,
    without the pydantic models (their classes cost more to create than the rows to read); the
    tests validate the file and check this gives the validated values and types. Data that did not
    come from the verified JSON copy (parsed from the YAML) is validated first."""
    from buildorbuy.catalog._lookup import load_data_checked

    data, from_copy = load_data_checked("gpus.yaml")
    if not from_copy:
        read_data_file("gpus.yaml", _models()[0])  # validates the YAML, or raises naming the file
    return data


@functools.cache
def _catalog() -> tuple[dict[str, GpuSpec], dict[str, str]]:
    specs: dict[str, GpuSpec] = {}
    for row in _rows()["gpus"]:
        if row["id"] in specs:
            raise ValueError(f"duplicate GPU id '{row['id']}' in gpus.yaml")
        specs[row["id"]] = _spec(row)
    index = build_index((s.id, s.aliases) for s in specs.values())
    return specs, index


OWNED_TERMS = ("server_overhead", "hosting_usd_per_kw_month", "power_utilization", "maintenance_per_year",
               "power_price_per_kwh", "reserved_price_ratio")
"""The fields of gpus.yaml's `owned_terms`, in the schema's order."""


@functools.cache
def owned_terms() -> OwnedTerms:
    """The sourced values `auto` fills for owned fleets (and the reserved-price ratio)."""
    t = _rows()["owned_terms"]
    return OwnedTerms(
        server_overhead=float(t["server_overhead"]["value"]),
        hosting_usd_per_kw_month=float(t["hosting_usd_per_kw_month"]["value"]),
        power_utilization=float(t["power_utilization"]["value"]),
        maintenance_per_year=float(t["maintenance_per_year"]["value"]),
        power_price_per_kwh={currency: float(price) for currency, price in t["power_price_per_kwh"]["by_currency"].items()},
        reserved_price_ratio=float(t["reserved_price_ratio"]["value"]),
        sources={name: t[name]["source"] for name in OWNED_TERMS},
    )


def inline_gpu(spec: dict, field: str) -> GpuSpec:
    """A GPU described in a scenario: `like:` a catalog row with overrides, or a full spec.

    The merged row is validated like a catalog row (same field names, same limits); problems are
    CatalogErrors naming the field, e.g. `paths[1].serving.gpu.memory_gb`.
    """
    from pydantic import ValidationError

    from buildorbuy.errors import CatalogError

    spec = dict(spec)
    like = spec.pop("like", None)
    name = str(spec.pop("name"))
    if like is not None:
        try:
            base = get_gpu(like)
        except CatalogError as exc:
            exc.field = f"{field}.like"
            raise
        row = next(e for e in _data().gpus if e.id == base.id).model_dump()
        row.update(aliases=[], notes=f"inline GPU like {base.id}")
    else:
        row = {"sources": ["given in the scenario"], "verification": {}, "rent": None, "purchase": None, "aliases": []}
    if "nvlink_gbps" in spec and "interconnect" not in spec and isinstance(row.get("interconnect"), dict):
        row["interconnect"] = {**row["interconnect"], "bandwidth_gb_per_s": spec["nvlink_gbps"],
                               "source": "given in the scenario (nvlink_gbps)", "verification": "unverified"}
    for part in ("interconnect", "rent", "purchase"):  # a scenario's own figures need no citation
        if isinstance(spec.get(part), dict):
            spec[part] = {"source": "given in the scenario", "verification": "unverified", **spec[part]}
            if part != "interconnect":
                spec[part].setdefault("date", "given in the scenario")
    row.update(spec)
    row.setdefault("name", name)
    row["name"] = name
    row["id"] = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "inline"  # shown in messages: keep its dashes
    _, entry_model = _models()
    try:
        entry = entry_model.model_validate(row)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        if where == "interconnect.bandwidth_gb_per_s" and "nvlink_gbps" in spec and "interconnect" not in spec:
            where = "nvlink_gbps"  # the figure the scenario gave, copied into the interconnect
        msg = err["msg"]
        if err["type"] == "missing":
            msg = "missing: a full inline GPU gives every catalog field (or write like: <catalog id>)"
        elif err["type"] == "extra_forbidden":
            known = ", ".join(n for n in entry_model.model_fields if n not in ("id", "aliases", "verification", "sources"))
            msg = f"not a GPU catalog field (fields: {known})"
        raise CatalogError(msg, field=f"{field}.{where}") from None
    return _spec(entry.model_dump())


def get_gpu(name: str) -> GpuSpec:
    """The GPU with this id or alias (case and punctuation ignored); CatalogError with suggestions."""
    specs, index = _catalog()
    return specs[resolve(name, index, specs, kind="GPU", field="gpu")]


def list_gpus() -> list[GpuSpec]:
    """All GPUs, in catalog order."""
    return list(_catalog()[0].values())
