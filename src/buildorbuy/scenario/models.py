"""The scenario format (DESIGN §2) as strict pydantic models.

Every numeric field uses an alias from `types`, so quantity strings (`2.5B`, `450k`) parse
everywhere. Unknown keys are errors. `auto` means: estimate it from the catalogs, and say how.
"""

import datetime as _dt
import re
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator
from pydantic_core import PydanticCustomError

from buildorbuy.scenario.types import (
    MAX_COUNT,
    Count,
    Fraction,
    Money,
    Months,
    NonNegative,
    NonNegativeAmount,
    Number,
    ParamCount,
    Positive,
    PositiveCount,
    PositiveMonths,
    Rate,
    TokenCount,
    UnitFraction,
)

Discount = Annotated[Number, Field(ge=-10, lt=1)]
"""A discount off a list price: below 1 (1 = free is not a price); negative = a surcharge."""

Auto = Literal["auto"]
Location = Literal["public_cloud", "region_cloud", "private_cloud", "on_prem"]
Deployment = Literal["public", "region", "private"]
Residency = Literal["any", "region", "on_prem"]
Precision = Literal["fp32", "bf16", "fp16", "fp8", "int8", "int4", "fp4"]
FinetuneMethod = Literal["full", "lora", "qlora"]
TrainingPrecision = Literal["bf16", "fp8"]

def field_error(subfield: str, message: str) -> PydanticCustomError:
    """A validator's error about one field below the validated one (`subfield`, dotted), so the
    one-line error names that field and its file line (scenario.loading reads `ctx.subfield`)."""
    return PydanticCustomError("value_error", message, {"subfield": subfield})


MONTH_HOURS = 730.0
"""Hours in a month: 8760 / 12."""

MAX_PATHS = 100
"""Most paths in one scenario; a real decision compares a handful."""
MAX_STAFF = 200
"""Most staff lines per path; a real team is described in a few lines."""
MAX_TOKENS_PER_REQUEST = 1e7
"""Most input (or output) tokens in one request: 10M, the longest context window published for an
open model (Llama 4 Scout, Meta's model card, April 2025); the open-model catalog stops at 128k."""
MAX_CORRELATIONS = 1000
"""Most rank correlations; a real scenario has a few."""
MAX_NAME = 200
"""Most characters in a scenario or path name: names head tables and name workbook sheets."""


def attribute_docs(schema: dict, cls: type) -> None:
    """Give each property of `cls`'s JSON Schema the docstring written under its field.

    The field docstrings are the field descriptions of `buildorbuy schema`. They are read from
    the source only here, when a schema is generated (pydantic's `use_attribute_docstrings`
    would parse every model's source with inspect/ast at every start of the program).
    """
    import ast
    import inspect
    import textwrap

    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if klass is BaseModel or not (isinstance(klass, type) and issubclass(klass, BaseModel)):
            continue
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        except (OSError, TypeError):  # pragma: no cover - source not shipped
            continue
        body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
        for node, following in zip(body, body[1:]):
            if (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
                    and isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant)
                    and isinstance(following.value.value, str)):
                docs[node.target.id] = inspect.cleandoc(following.value.value)
    for name, prop in schema.get("properties", {}).items():
        if name in docs and "description" not in prop:
            prop["description"] = docs[name]


def no_items() -> list:
    """A new empty list: the default factory of list fields. (pydantic reads a default factory's
    signature; `list`'s is parsed from text with the tokenizer, whose patterns are compiled on
    that first use: ~2 ms at every start.)"""
    return []


class Strict(BaseModel):
    """Base for every scenario model: unknown keys are errors, values are validated on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, json_schema_extra=attribute_docs, defer_build=True)

    @model_validator(mode="before")
    @classmethod
    def _null_is_default(cls, data):
        """`key: null` (or an empty `key:` in YAML) on an optional field means its default, as if the
        key were left out; a required field still needs a value."""
        if isinstance(data, dict) and any(value is None for value in data.values()):
            fields = cls.model_fields
            return {key: value for key, value in data.items()
                    if not (value is None and key in fields and not fields[key].is_required() and fields[key].default is not None)}
        return data


class Staff(Strict):
    role: str = "staff"
    """What the people do; shown in the breakdown."""
    count: Annotated[NonNegativeAmount, Field(le=MAX_COUNT)] = 1
    """Head count (fractions allowed for shared people)."""
    annual_cost: Money
    """Fully loaded cost per person per year, in the scenario currency."""
    salary_growth_per_year: Rate = 0.0
    """Yearly raise, compounded monthly as (1+g)^(m/12)."""
    start_month: Months = 0
    """First month paid."""
    end_month: Months | None = None
    """Month the cost stops (exclusive); default: the horizon."""

    @model_validator(mode="after")
    def _order(self) -> "Staff":
        if self.end_month is not None and self.end_month < self.start_month:
            raise ValueError("end_month must not be before start_month")
        return self


class Data(Strict):
    one_off: Money = 0.0
    """Data acquisition and cleaning, charged in month 0."""
    per_refresh: Money = 0.0
    """Data cost charged at each refresh."""


class ModelRef(Strict):
    """The model a self-hosted path trains or serves: give params, or name a catalog model."""

    catalog: str | None = None
    """An open-model catalog id (e.g. qwen2.5-14b); fills params and active_params."""
    params: ParamCount | None = None
    """Total parameters."""
    active_params: ParamCount | None = None
    """Parameters active per token (MoE); default: params."""
    training_tokens: TokenCount | None = None
    """Pretraining tokens (build paths); default 20 × params (Hoffmann et al. 2022)."""

    @model_validator(mode="after")
    def _needs_size(self) -> "ModelRef":
        if self.catalog is None and self.params is None:
            raise ValueError("give params (e.g. 14.7B) or catalog (a model id)")
        if self.params is not None and self.active_params is not None and self.active_params > self.params:
            raise ValueError("active_params must not exceed params")
        return self


class InlineGpu(BaseModel):
    """A GPU described in the scenario: a catalog row with overrides (`like:`), or a full spec.

    Other keys are the GPU catalog's field names (bf16_tflops, memory_gb, bandwidth_tbps,
    tdp_watts, …); they are validated like a catalog row when the scenario is compiled.
    """

    model_config = ConfigDict(extra="allow", validate_assignment=True, json_schema_extra=attribute_docs, defer_build=True)

    like: str | None = None
    """A catalog GPU id whose figures are the starting point (e.g. a100-80gb)."""
    name: str = Field(min_length=1)
    """The name shown in the output (e.g. a800)."""


class Reserved(Strict):
    """Committed rented GPUs, paid every hour of each term from go-live (DESIGN §2b)."""

    gpus: Count | Auto = 0.0
    """Committed GPUs, a multiple of gpus_per_replica (0 = none); auto: the count that minimises NPV."""
    gpu_hour_price: Money | Auto = "auto"
    """Reserved price per GPU-hour in the first term; auto: the on-demand price × a sourced catalog ratio."""
    term_months: PositiveMonths = 12.0
    """Length of one commitment; renewed at the price of the day until the horizon."""


class DecliningBalance(Strict):
    declining_balance: Annotated[Number, Field(gt=0, lt=1)]
    """Share of the remaining value lost each year (0.35 = 35 %)."""


Residual = Union[Literal["straight_line", "none"], DecliningBalance]


class ServingLatency(Strict):
    """Interactive latency targets that cap the batch the `auto` throughput assumes (DESIGN §2b)."""

    time_per_output_token_ms: Positive | None = None
    """Average time between a request's output tokens, ms (e.g. 40)."""
    time_to_first_token_ms: Positive | None = None
    """One request's prefill plus one decode step, ms, without queueing (e.g. 800)."""

    @model_validator(mode="after")
    def _one_target(self):
        if self.time_per_output_token_ms is None and self.time_to_first_token_ms is None:
            raise ValueError("give time_per_output_token_ms, time_to_first_token_ms or both")
        return self


class Serving(Strict):
    gpu: str | InlineGpu
    """GPU id from the catalog (e.g. h100-sxm, a100-80gb), or an inline GPU {like: a100-80gb, name: a800, …}."""
    ownership: Literal["rent", "own"] = "rent"
    location: Location | None = None
    """Where serving runs; default public_cloud when rented, on_prem when owned."""
    precision: Precision = "bf16"
    tokens_per_second_per_gpu: Positive | Auto = "auto"
    """All tokens (input + output) per second per GPU at the workload's mix; auto: estimated."""
    gpus_per_replica: PositiveCount | Auto = "auto"
    target_utilization: UnitFraction = 0.7
    redundancy: Count = 1
    """Spare replicas on top of the peak need."""
    gpu_hour_price: Money | Auto | None = None
    """Rent per GPU-hour (rented fleets); auto or omitted: catalog price × usd_exchange_rate."""
    gpu_hour_price_change_per_year: Rate = 0.0
    purchase_price: Money | Auto | None = None
    """Per GPU (owned fleets); auto or omitted: catalog price × usd_exchange_rate."""
    server_overhead: Annotated[NonNegative, Field(le=100)] | Auto = 0.0
    """Share added to the GPU price for servers, network and storage (0.4 = +40 %); auto: sourced catalog value."""
    hosting_per_gpu_month: Money | Auto = 0.0
    """Rack space and support per owned GPU per month; auto: sourced colocation price per kW × TDP."""
    tdp_watts: Positive | Auto = "auto"
    power_price_per_kwh: Money | Auto = 0.0
    """Electricity price; auto: a sourced price for the scenario's currency (else USD × usd_exchange_rate)."""
    pue: Annotated[float, Field(ge=1)] | None = None
    """Power usage effectiveness of the data centre (default 1.3 when power is priced)."""
    depreciation_years: Positive = 4.0
    scaling: Literal["fixed", "autoscale"] = "fixed"
    """fixed: sized for the month's peak, paid every hour; autoscale (rented only): replicas hour by hour."""
    min_replicas: PositiveCount = 1.0
    """Autoscale floor, before redundancy."""
    reserved: Reserved | None = None
    """Rented only: committed GPUs at a reserved price; demand above them is on-demand."""
    throughput_change_per_year: Rate = 0.0
    """Software gains on tokens/s per GPU: tps[m] = tps · (1 + g)^(m/12)."""
    owned_gpus: Count = 0.0
    """Owned fleets: GPUs already owned at month 0 (no purchase, no residual credit)."""
    procurement_months: Months = 0.0
    """Owned fleets: order to delivery; go-live is at least this month."""
    maintenance_per_year: Annotated[NonNegative, Field(le=1)] | Auto = 0.0
    """Owned fleets: yearly share of the purchase price incl. server overhead; auto: sourced catalog value."""
    power_utilization: UnitFraction | Auto = 1.0
    """Owned fleets: average draw as a share of TDP; auto: sourced catalog value."""
    residual: Residual = "straight_line"
    """Owned fleets: value credited at the horizon: straight_line, {declining_balance: rate} or none."""

    latency: ServingLatency | None = None
    """Latency targets for `auto` throughput and replica size (default none: maximum throughput)."""
    max_gpus: PositiveCount | Auto | None = None
    """Cap on all serving GPUs, redundancy included; load above the capacity of
    floor(max_gpus / gpus_per_replica) − redundancy replicas overflows, hour by hour, to the routing
    fallback (or the bridge); auto: the whole-replica cap that minimises NPV (default none)."""

    @field_validator("scaling")
    @classmethod
    def _autoscale_rented(cls, value: str, info) -> str:
        if value == "autoscale" and info.data.get("ownership") == "own":
            raise ValueError("autoscale applies to rented fleets only (ownership: rent)")
        return value

    @field_validator("min_replicas")
    @classmethod
    def _floor_with_autoscale(cls, value: float, info) -> float:
        if info.data.get("scaling") != "autoscale":
            raise ValueError("min_replicas applies with scaling: autoscale only")
        return value

    @field_validator("reserved")
    @classmethod
    def _reserved_rented(cls, value: "Reserved | None", info) -> "Reserved | None":
        if value is None:
            return value
        if info.data.get("ownership") == "own":
            raise ValueError("reserved applies to rented fleets only (ownership: rent): an owned fleet is already committed")
        per_replica = info.data.get("gpus_per_replica")
        if isinstance(value.gpus, float) and isinstance(per_replica, float) and value.gpus % per_replica:
            raise field_error("gpus", f"must be a multiple of gpus_per_replica ({per_replica:g}): whole replicas are reserved (got {value.gpus:g})")
        return value

    @field_validator("owned_gpus", "procurement_months", "maintenance_per_year", "power_utilization", "residual")
    @classmethod
    def _owned_only(cls, value, info):
        if info.data.get("ownership", "rent") != "own":
            raise ValueError(f"{info.field_name} applies to owned fleets only (ownership: own)")
        return value

    @property
    def resolved_location(self) -> str:
        return self.location or ("on_prem" if self.ownership == "own" else "public_cloud")


class Finetune(Strict):
    tokens: TokenCount
    """Fine-tuning dataset size in tokens (per epoch)."""
    epochs: Positive = 1.0
    method: FinetuneMethod = "lora"
    refresh_months: PositiveMonths | None = None
    """Re-fine-tune every N months after go-live (none: once)."""
    gpu: str = "a100-80gb"
    gpus: PositiveCount = 8
    gpu_hour_price: Money | Auto | None = None
    mfu: UnitFraction | Auto = "auto"
    location: Location = "public_cloud"
    precision: TrainingPrecision = "bf16"
    """Compute precision of the fine-tune (bf16 or fp8); `mfu: auto` follows it. MFU stays
    relative to the BF16 peak."""


class Training(Strict):
    gpu: str
    gpus: PositiveCount
    """Cluster size (required)."""
    mfu: UnitFraction | Auto = "auto"
    gpu_hour_price: Money | Auto | None = None
    location: Location = "public_cloud"
    experiment_overhead: Annotated[float, Field(ge=1)] = 1.0
    """GPU-hours multiplier for ablations and failed runs (1.5 = +50 %)."""
    goodput: UnitFraction = 1.0
    """Share of wall-clock doing useful work; stretches wall-clock only."""
    refresh_months: PositiveMonths | None = None
    """Retrain every N months after go-live (none: once)."""
    precision: TrainingPrecision = "bf16"
    """Compute precision of the pretraining run (bf16 or fp8); `mfu: auto` follows it. MFU stays
    relative to the BF16 peak."""


class ManagedFinetune(Strict):
    """A fine-tune on the API vendor's platform (OpenAI fine-tuning, Qianfan, Bedrock custom models)."""

    training_tokens: TokenCount
    epochs: Positive = 1.0
    price_per_1m_training_tokens: Money
    refresh_months: PositiveMonths | None = None
    hosting_fee_per_hour: Money = 0.0
    """Dedicated deployment fee, charged every hour from go-live."""
    price_per_1k_input: Money | None = None
    """Per-token prices of the tuned model; default: the path's own prices."""
    price_per_1k_cached_input: Money | None = None
    price_per_1k_output: Money | None = None


class Routing(Strict):
    """Traffic split between a self-hosted path's own model and an api fallback (DESIGN §2b)."""

    share: Fraction = 1.0
    """Share of tokens sent to the own model once live (0.8 = 80 %)."""
    ramp_months: Months = 0.0
    """s[m] = share · min(1, (m − live + 1) / ramp_months) from go-live; 0 = share from go-live."""
    escalation_rate: Fraction = 0.0
    """Share of the tokens the own model served that it fails on (measured on your evals) and the
    fallback answers again."""
    fallback: str | None = None
    """The api path taking the rest, the overflow and the escalations; default: the bridge."""


class _PathBase(Strict):
    name: str = Field(min_length=1, max_length=MAX_NAME)
    staff: list[Staff] = Field(default_factory=no_items, max_length=MAX_STAFF)
    lead_time_months: Months = 0
    start_month: Months = 0
    """The month the whole path starts: staff months, one-off data, compute, lead time and purchases
    shift by it; until the path is live the bridge serves (default 0; the bridge's must be 0)."""
    success_probability: UnitFraction = 1.0
    data: Data = Field(default_factory=Data)
    notes: str | None = None
    """Free text (sources, assumptions); shown in reports."""


class ApiPath(_PathBase):
    kind: Literal["api"]
    model: str | None = None
    """A model in the API price catalog (e.g. gpt-4o); fills prices not given."""
    provider: str | None = None
    price_per_1k_input: Money | None = None
    price_per_1k_cached_input: Money | None = None
    """Default: price_per_1k_input."""
    price_per_1k_output: Money | None = None
    price_change_per_year: Rate = 0.0
    deployment: Deployment = "public"
    managed_finetune: ManagedFinetune | None = None
    discount: Discount = 0.0
    """Negotiated discount off list on every per-token price (0.15 = 15 % off; negative = surcharge)."""
    batch_share: Fraction = 0.0
    """Share of this path's tokens sent through the provider's batch API."""
    batch_discount: Discount | Auto = "auto"
    """Discount of batch prices off list; auto: the price data's batch prices per token type in
    force on `start` (read only when batch_share > 0; unknown then is an error)."""
    off_peak_share: Fraction = 0.0
    """Share of this path's tokens sent in the provider's discounted hours (DeepSeek)."""
    off_peak_discount: Discount | Auto = "auto"
    """Discount of off-peak prices off list; auto as batch_discount."""
    price_per_1k_cache_write: Money | Auto = "auto"
    """Price of input tokens written to a prompt cache (workload.cache_write_share); auto: the
    price data's cache-write price, else price_per_1k_input."""
    fixed_fee_per_month: Money = 0.0
    """Licence, private deployment or platform fee, charged in every month the path serves traffic."""
    setup_fee: Money = 0.0
    """One-off fee in the path's first month of service."""

    @model_validator(mode="before")
    @classmethod
    def _no_routing(cls, data):
        if isinstance(data, dict) and "routing" in data:
            raise field_error("routing", "routing applies to finetune and build paths only (an api path serves all its traffic)")
        return data

    @model_validator(mode="after")
    def _prices(self) -> "ApiPath":
        if self.model is None and (self.price_per_1k_input is None or self.price_per_1k_output is None):
            raise ValueError("give price_per_1k_input and price_per_1k_output, or a catalog model")
        return self

    @field_validator("off_peak_share")
    @classmethod
    def _shares(cls, value: float, info) -> float:
        batch = info.data.get("batch_share")
        if batch is not None and batch + value > 1 + 1e-12:
            raise ValueError(f"batch_share ({batch:g}) + off_peak_share ({value:g}) must not exceed 1")
        return value


class FinetunePath(_PathBase):
    kind: Literal["finetune"]
    model: ModelRef
    finetune: Finetune
    serving: Serving
    routing: Routing | None = None
    """Share of traffic the own model serves, its failure rate and the api fallback (default: all traffic)."""


class BuildPath(_PathBase):
    kind: Literal["build"]
    model: ModelRef
    training: Training
    serving: Serving
    routing: Routing | None = None
    """Share of traffic the own model serves, its failure rate and the api fallback (default: all traffic)."""


Path = Annotated[Union[ApiPath, FinetunePath, BuildPath], Field(discriminator="kind")]


class Workload(Strict):
    tokens_per_month: TokenCount | None = None
    """Input + output tokens in month 0."""
    output_share: Fraction = 0.25
    cached_input_share: Fraction = 0.0
    cache_write_share: Fraction = 0.0
    """Share of input tokens written to a prompt cache (billed at price_per_1k_cache_write);
    cached_input_share + cache_write_share ≤ 1."""
    growth_per_month: Rate | None = None
    """Compound monthly growth."""
    growth_per_year: Rate | None = None
    """Compound yearly growth; monthly = (1+g)^(1/12) - 1."""
    schedule: Annotated[list[TokenCount], Field(max_length=600)] | None = None
    """Tokens for every month of the horizon (replaces tokens_per_month and growth)."""
    peak_to_average: Annotated[float, Field(ge=1, le=1000)] = 2.0
    daily_profile: list[NonNegative] | None = None
    """Relative load for each of the 24 hours of the day, normalised to mean 1; peak_to_average is then its max."""
    peak_hours: Annotated[Positive, Field(le=24)] | None = None
    """Without daily_profile: hours a day at peak_to_average, with a flat base keeping the mean at 1
    (default min(4, 24 / peak_to_average))."""
    input_tokens_per_request: Annotated[Positive, Field(le=MAX_TOKENS_PER_REQUEST)] = 1000.0
    """Average input tokens per request (at most 10M, the longest published context window; a
    catalog model's own context window bounds input + output when its throughput is estimated)."""
    output_tokens_per_request: Annotated[Positive, Field(le=MAX_TOKENS_PER_REQUEST)] = 250.0
    """Average output tokens per request (at most 10M)."""

    @field_validator("cache_write_share")
    @classmethod
    def _cache_shares(cls, value: float, info) -> float:
        cached = info.data.get("cached_input_share")
        if cached is not None and cached + value > 1 + 1e-12:
            raise ValueError(f"cached_input_share ({cached:g}) + cache_write_share ({value:g}) must not exceed 1")
        return value

    @model_validator(mode="after")
    def _one_volume(self) -> "Workload":
        if self.growth_per_month is not None and self.growth_per_year is not None:
            raise ValueError("give growth_per_month or growth_per_year, not both")
        if self.schedule is None and self.tokens_per_month is None:
            raise ValueError("give tokens_per_month (or a schedule)")
        if self.schedule is not None and (self.growth_per_month is not None or self.growth_per_year is not None):
            raise ValueError("a schedule already gives every month: drop growth_per_month/growth_per_year")
        profile = self.daily_profile
        if profile is not None:
            if len(profile) != 24:
                raise field_error("daily_profile",
                                  f"daily_profile has {len(profile)} values: give one for each of the 24 hours of the day")
            if not any(profile):
                raise field_error("daily_profile",
                                  "daily_profile is all zero: give the relative load of each hour (normalised to mean 1)")
            if "peak_to_average" in self.model_fields_set:
                raise ValueError("give daily_profile or peak_to_average, not both (with a profile, peak_to_average is its max)")
            if self.peak_hours is not None:
                raise ValueError("give daily_profile or peak_hours, not both (the profile already says when the peak is)")
        elif self.peak_hours is not None and self.peak_to_average * self.peak_hours > 24 + 1e-9:
            raise ValueError(
                f"peak_to_average × peak_hours = {self.peak_to_average * self.peak_hours:g} hours exceeds the 24-hour day "
                "(the mean load would be above 1)"
            )
        return self

    @property
    def profile_peak_to_average(self) -> float:
        """max(profile) / mean(profile) with a daily profile, else peak_to_average."""
        if self.daily_profile is None:
            return self.peak_to_average
        return max(self.daily_profile) / (sum(self.daily_profile) / 24.0)

    @property
    def monthly_growth(self) -> float:
        if self.growth_per_month is not None:
            return self.growth_per_month
        if self.growth_per_year is not None:
            return (1.0 + self.growth_per_year) ** (1.0 / 12.0) - 1.0
        return 0.0


class Constraints(Strict):
    data_residency: Residency = "any"
    """Where private data (serving traffic, fine-tuning data) may go."""
    max_lead_time_months: Months | None = None
    market: Literal["global", "cn"] = "global"
    """Where GPUs are bought: cn makes owned fleets on GPUs the catalog marks as not sold new there
    (dated, sourced export rules) infeasible."""


class Correlation(Strict):
    """A rank (Spearman) correlation between two fields given as distributions (Monte Carlo only)."""

    a: str
    """A field path, e.g. workload.growth_per_year or paths[Own GPUs].serving.purchase_price."""
    b: str
    rank: Annotated[float, Field(ge=-1, le=1)]
    """Target Spearman rank correlation between the two sampled fields."""


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_START_YEARS = (1900, 2999)  # start: accepted years (a 600-month horizon stays below year 9999)


class Scenario(Strict):
    version: Literal[1] = 1
    name: str = Field(default="Unnamed scenario", max_length=MAX_NAME)
    description: str | None = None
    currency: str = "USD"
    usd_exchange_rate: Positive = 1.0
    """Units of currency per USD, to convert catalog prices."""
    start: str | None = None
    """Month 0 as YYYY-MM (default: this month); picks catalog prices in force then."""
    horizon_months: Annotated[float, Field(ge=1, le=600)] = 36
    discount_rate: Annotated[Number, Field(ge=-0.99, le=10)] = 0.0
    """Annual; month m is discounted by (1+r)^(-m/12). A rate: `8%` reads as 0.08."""
    fiscal_year_start_month: Annotated[int, Field(ge=1, le=12)] = 1
    """Accounting view: the calendar month (1-12) a fiscal year starts; FY<y> starts in year y."""
    workload: Workload
    constraints: Constraints = Field(default_factory=Constraints)
    bridge: str | None = None
    """Name of the api path that serves traffic until a self-hosted path is live."""
    paths: list[Path] = Field(min_length=1, max_length=MAX_PATHS)
    correlations: list[Correlation] = Field(default_factory=no_items, max_length=MAX_CORRELATIONS)
    """Rank correlations between fields given as distributions (used by simulate)."""

    _source: str | None = PrivateAttr(default=None)
    _raw: dict | None = PrivateAttr(default=None)
    _lines: dict | None = PrivateAttr(default=None)

    def locate(self, field: str | None) -> int | None:
        """The file line of a dotted field (or of its nearest parent), when the file was YAML or JSON."""
        if not field or not self._lines:
            return None
        from buildorbuy.scenario.loading import split_field_path

        try:
            probe = tuple(split_field_path(field))
        except Exception:
            return None
        while probe:
            if probe in self._lines:
                return self._lines[probe]
            probe = probe[:-1]
        return None
    _distributions: dict = PrivateAttr(default_factory=dict)
    """Fields given as distributions, by parameter key → `uncertainty.Uncertain` (the fields hold the estimates)."""

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z]{3}", value):
            raise ValueError("must be a 3-letter ISO 4217 code such as USD, CNY, EUR")
        return value.upper()

    @field_validator("horizon_months")
    @classmethod
    def _whole_horizon(cls, value: float) -> float:
        if value != int(value):
            raise ValueError("must be a whole number of months")
        return value

    @field_validator("start")
    @classmethod
    def _start(cls, value: str | None) -> str | None:
        if value is None:
            return None
        text = str(value)
        match = _MONTH.match(text)
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise ValueError("must be a month written YYYY-MM, e.g. 2026-01")
        if not _START_YEARS[0] <= int(match.group(1)) <= _START_YEARS[1]:
            # dates past the horizon (up to 600 months later) must stay representable
            raise ValueError(f"year must be between {_START_YEARS[0]} and {_START_YEARS[1]}")
        return text

    @model_validator(mode="after")
    def _cross_checks(self) -> "Scenario":
        names = [p.name for p in self.paths]
        for index, name in enumerate(names):
            if name in names[:index]:
                raise field_error(f"paths[{index}].name", f"path name '{name}' is used twice")
        if self.bridge is not None:
            match = [p for p in self.paths if p.name == self.bridge]
            if not match:
                raise field_error("bridge", f"bridge '{self.bridge}' names no path (paths: {', '.join(names)})")
            if match[0].kind != "api":
                raise field_error("bridge", f"bridge '{self.bridge}' must be an api path, not {match[0].kind}")
            if match[0].lead_time_months > 0:
                raise field_error(f"paths[{names.index(self.bridge)}].lead_time_months",
                                  f"bridge '{self.bridge}' must be live from month 0 (lead_time_months 0)")
        if self.workload.schedule is not None and len(self.workload.schedule) != int(self.horizon_months):
            raise field_error("workload.schedule",
                              f"workload.schedule has {len(self.workload.schedule)} months, "
                              f"horizon_months is {int(self.horizon_months)}")
        return self

    @property
    def horizon(self) -> int:
        return int(self.horizon_months)

    @property
    def start_date(self) -> _dt.date:
        if self.start is None:
            today = _dt.date.today()
            return _dt.date(today.year, today.month, 1)
        year, month = self.start.split("-")
        return _dt.date(int(year), int(month), 1)

    def path_index(self, name: str) -> int:
        for i, path in enumerate(self.paths):
            if path.name == name:
                return i
        raise KeyError(name)
