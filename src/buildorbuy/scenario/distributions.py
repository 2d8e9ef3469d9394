"""Distributions that stand for a number in the scenario file (the Monte Carlo extension, DESIGN §2).

Any numeric field may be written as a mapping with a `dist` key:

    gpu_hour_price: {dist: lognormal, p10: 2.0, p90: 3.5}

Six kinds: triangular and PERT (low, mode, high), lognormal (p10, p90), normal (mean, sd),
uniform (low, high) and choice (values, weights). Each kind is one strict model below, and each
converts its fields into the parameters it samples from in exactly one place (`parameters`).

- `estimate()` is the single number `compare` uses: the mode of triangular/PERT, the median of
  lognormal/normal/uniform, the likeliest `choice` value (the first one on ties).
- `endpoints()` are the support's finite ends (low/high, p10/p90, every choice value): loading
  validates each against the field's range, so a share cannot be drawn above 1.
- `sample(rng, n)` draws with an explicit `numpy.random.Generator`: by the inverse CDF of uniforms
  for every kind except PERT, which uses the generator's beta sampler. Correlations are imposed
  afterwards by reordering (Iman–Conover needs only ranks), so every marginal stays exact.

Normal and lognormal draws are unbounded: sampling clips them to the field's range (`FieldRange`),
e.g. a normal growth rate to > -1 and a normal share to [0, 1].
"""

from __future__ import annotations

import math
from decimal import Decimal
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from buildorbuy.scenario.types import Number

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

KINDS = ("triangular", "pert", "lognormal", "normal", "uniform", "choice")

Z90 = 1.2815515655446004
"""The standard normal's 90th percentile: Φ⁻¹(0.9)."""

WEIGHT_TOLERANCE = 1e-6
"""How far `choice` weights may sum from 1."""


def _attribute_docs(schema: dict, cls: type) -> None:
    """Field docstrings as schema descriptions, read only when a schema is generated."""
    from buildorbuy.scenario.models import attribute_docs

    attribute_docs(schema, cls)


class _Distribution(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_attribute_docs, defer_build=True)  # built on first use

    def parameters(self) -> dict[str, float]:
        """The parameters the kind samples from, converted from the fields the user wrote."""
        raise NotImplementedError

    def estimate(self) -> float:
        raise NotImplementedError

    def endpoints(self) -> dict[str, float]:
        """Finite ends of the support, by the field name the user wrote them under."""
        raise NotImplementedError

    def ppf(self, u: "np.ndarray") -> "np.ndarray":
        """Inverse CDF: the quantiles at probabilities `u` in [0, 1)."""
        raise NotImplementedError

    def sample(self, rng: "np.random.Generator", n: int) -> "np.ndarray":
        """`n` independent draws."""
        return self.ppf(rng.random(n))

    def describe(self) -> str:
        fields = ", ".join(f"{k}: {_g(v)}" for k, v in self.model_dump(exclude={"dist"}).items())
        return f"{self.dist} ({fields})"  # type: ignore[attr-defined]


def _g(value: Any) -> str:
    """A parameter as people read it, the way a scenario may write it: 5B, 20M, 0.00008 (never 5e+09 or 8e-05)."""
    if isinstance(value, list):
        return "[" + ", ".join(_g(v) for v in value) + "]"
    if not isinstance(value, float) or not math.isfinite(value) or value == 0:
        return str(value) if not isinstance(value, float) else f"{value:g}"
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
        if abs(value) >= scale:
            return f"{value / scale:.4g}{suffix}"
    if abs(value) < 1e-4:
        return format(Decimal(f"{value:.4g}"), "f")
    return f"{value:g}"


class Triangular(_Distribution):
    """Triangular on [low, high] peaking at mode."""

    dist: Literal["triangular"]
    low: Number
    mode: Number
    high: Number

    @model_validator(mode="after")
    def _order(self) -> "Triangular":
        _check_low_high(self.low, self.high)
        if not self.low <= self.mode <= self.high:
            raise ValueError(f"mode must lie between low and high (got low {self.low:g}, mode {self.mode:g}, high {self.high:g})")
        return self

    def parameters(self) -> dict[str, float]:
        return {"low": self.low, "mode": self.mode, "high": self.high, "split": (self.mode - self.low) / (self.high - self.low)}

    def estimate(self) -> float:
        return self.mode

    def endpoints(self) -> dict[str, float]:
        return {"low": self.low, "high": self.high}

    def ppf(self, u):
        import numpy as np

        p = self.parameters()
        a, c, b, f = p["low"], p["mode"], p["high"], p["split"]
        u = np.asarray(u, dtype=float)
        left = a + np.sqrt(u * (b - a) * (c - a))
        right = b - np.sqrt((1.0 - u) * (b - a) * (b - c))
        return np.where(u < f, left, right)


class Pert(_Distribution):
    """Beta-PERT on [low, high] with the given mode (shape λ = 4)."""

    dist: Literal["pert"]
    low: Number
    mode: Number
    high: Number

    @model_validator(mode="after")
    def _order(self) -> "Pert":
        _check_low_high(self.low, self.high)
        if not self.low <= self.mode <= self.high:
            raise ValueError(f"mode must lie between low and high (got low {self.low:g}, mode {self.mode:g}, high {self.high:g})")
        return self

    def parameters(self) -> dict[str, float]:
        span = self.high - self.low
        return {
            "low": self.low,
            "span": span,
            "alpha": 1.0 + 4.0 * (self.mode - self.low) / span,
            "beta": 1.0 + 4.0 * (self.high - self.mode) / span,
        }

    def estimate(self) -> float:
        return self.mode

    def endpoints(self) -> dict[str, float]:
        return {"low": self.low, "high": self.high}

    def sample(self, rng, n):
        p = self.parameters()
        return p["low"] + p["span"] * rng.beta(p["alpha"], p["beta"], n)


class Lognormal(_Distribution):
    """Lognormal given by its 10th and 90th percentiles (both > 0)."""

    dist: Literal["lognormal"]
    p10: Number
    """10th percentile: 1 draw in 10 falls below it."""
    p90: Number
    """90th percentile: 1 draw in 10 falls above it."""

    @field_validator("p10")
    @classmethod
    def _positive(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("must be above 0 for a lognormal")
        return value

    @model_validator(mode="after")
    def _order(self) -> "Lognormal":
        if self.p10 >= self.p90:
            raise ValueError(f"p10 must be below p90 (got p10 {self.p10:g}, p90 {self.p90:g})")
        return self

    def parameters(self) -> dict[str, float]:
        lo, hi = math.log(self.p10), math.log(self.p90)
        return {"mu": (lo + hi) / 2.0, "sigma": (hi - lo) / (2.0 * Z90)}

    def estimate(self) -> float:
        return math.exp(self.parameters()["mu"])

    def endpoints(self) -> dict[str, float]:
        return {"p10": self.p10, "p90": self.p90}

    def ppf(self, u):
        import numpy as np

        p = self.parameters()
        return np.exp(p["mu"] + p["sigma"] * normal_ppf(u))


class Normal(_Distribution):
    """Normal with mean and standard deviation; clipped to the field's range when sampled."""

    dist: Literal["normal"]
    mean: Number
    sd: Number
    """Standard deviation, > 0."""

    @field_validator("sd")
    @classmethod
    def _positive_sd(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("must be above 0")
        return value

    def parameters(self) -> dict[str, float]:
        return {"mean": self.mean, "sd": self.sd}

    def estimate(self) -> float:
        return self.mean

    def endpoints(self) -> dict[str, float]:
        return {}

    def ppf(self, u):
        p = self.parameters()
        return p["mean"] + p["sd"] * normal_ppf(u)


class Uniform(_Distribution):
    """Uniform on [low, high]."""

    dist: Literal["uniform"]
    low: Number
    high: Number

    @model_validator(mode="after")
    def _order(self) -> "Uniform":
        _check_low_high(self.low, self.high)
        return self

    def parameters(self) -> dict[str, float]:
        return {"low": self.low, "span": self.high - self.low}

    def estimate(self) -> float:
        return (self.low + self.high) / 2.0

    def endpoints(self) -> dict[str, float]:
        return {"low": self.low, "high": self.high}

    def ppf(self, u):
        import numpy as np

        p = self.parameters()
        return p["low"] + p["span"] * np.asarray(u, dtype=float)


class Choice(_Distribution):
    """One of a few values, with weights summing to 1 (default: equal weights)."""

    dist: Literal["choice"]
    values: list[Number] = Field(min_length=1, max_length=10_000)
    weights: list[Annotated[float, Field(ge=0)]] | None = None
    """Probability of each value; they must sum to 1 (within 1e-6)."""

    @model_validator(mode="after")
    def _weights(self) -> "Choice":
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError(f"weights has {len(self.weights)} entries, values has {len(self.values)}")
            try:
                total = math.fsum(self.weights)
            except OverflowError:  # weights near 1e308 overflow even an exact sum
                total = math.inf
            if abs(total - 1.0) > WEIGHT_TOLERANCE:
                raise ValueError(f"weights must sum to 1 (they sum to {total:.10g})")
        return self

    def parameters(self) -> dict[str, Any]:
        weights = self.weights if self.weights is not None else [1.0 / len(self.values)] * len(self.values)
        total = math.fsum(weights)
        cumulative = []
        running = 0.0
        for w in weights:
            running += w / total
            cumulative.append(running)
        cumulative[-1] = 1.0
        return {"values": list(self.values), "weights": [w / total for w in weights], "cumulative": cumulative}

    def estimate(self) -> float:
        p = self.parameters()
        best = max(range(len(p["values"])), key=lambda i: (p["weights"][i], -i))
        return p["values"][best]

    def endpoints(self) -> dict[str, float]:
        return {f"values[{i}]": v for i, v in enumerate(self.values)}

    def ppf(self, u):
        import numpy as np

        p = self.parameters()
        index = np.searchsorted(np.asarray(p["cumulative"]), np.asarray(u, dtype=float), side="right")
        return np.asarray(p["values"], dtype=float)[np.minimum(index, len(p["values"]) - 1)]


def _check_low_high(low: float, high: float) -> None:
    if low >= high:
        raise ValueError(f"low must be below high (got low {low:g}, high {high:g})")


Distribution = Annotated[Union[Triangular, Pert, Lognormal, Normal, Uniform, Choice], Field(discriminator="dist")]


# ---------------------------------------------------------------- the field a distribution stands for


@dataclass(frozen=True)
class FieldRange:
    """The range of a numeric scenario field, read from its annotated type."""

    low: float | None = None
    low_open: bool = False
    high: float | None = None
    high_open: bool = False
    whole: bool = False
    """Whole numbers only (months, counts): draws are rounded up, as the engine rounds lead times."""
    multiple: float | None = None
    """Draws are rounded to the nearest multiple of this (reserved GPUs: whole replicas of
    `gpus_per_replica` GPUs, as compare requires of a reservation)."""

    def to_field(self, values: "np.ndarray") -> "np.ndarray":
        """Clip draws into the range (open ends: the next representable number); round up whole fields,
        round to the nearest multiple where one is set."""
        import numpy as np

        out = np.asarray(values, dtype=float)
        if self.multiple:
            out = np.floor(out / self.multiple + 0.5) * self.multiple
        elif self.whole:
            out = np.ceil(out - 1e-9)
        low = self.low
        if low is not None:
            out = np.maximum(out, np.nextafter(low, np.inf) if self.low_open else low)
        if self.high is not None:
            out = np.minimum(out, np.nextafter(self.high, -np.inf) if self.high_open else self.high)
        return out

    def scalar(self, value: float) -> float:
        """The estimate as the field will hold it (whole fields rounded up, multiples to the nearest; no clipping)."""
        if self.multiple:
            return float(math.floor(value / self.multiple + 0.5) * self.multiple)
        return float(math.ceil(value - 1e-9)) if self.whole else float(value)


# ---------------------------------------------------------------- the standard normal's inverse CDF

# Peter J. Acklam's rational approximation (2003), relative error below 1.15e-9 over (0, 1).
_A = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02, 1.383577518672690e02, -3.066479806614716e01, 2.506628277459239e00)
_B = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02, 6.680131188771972e01, -1.328068155288572e01)
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00, -2.549732539343734e00, 4.374664141464968e00, 2.938163982698783e00)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00)
_P_LOW = 0.02425


def normal_ppf(u: Any) -> "np.ndarray":
    """Φ⁻¹(u) for the standard normal, vectorised (Acklam's algorithm; no scipy).

    u = 0 and u = 1 give -inf and +inf.
    """
    import numpy as np

    u = np.asarray(u, dtype=float)
    out = np.empty_like(u)
    low = u < _P_LOW
    high = u > 1.0 - _P_LOW
    mid = ~(low | high)

    q = u[mid] - 0.5
    r = q * q
    out[mid] = (((((_A[0] * r + _A[1]) * r + _A[2]) * r + _A[3]) * r + _A[4]) * r + _A[5]) * q / (
        ((((_B[0] * r + _B[1]) * r + _B[2]) * r + _B[3]) * r + _B[4]) * r + 1.0
    )
    with np.errstate(divide="ignore"):
        for mask, sign, tail in ((low, 1.0, u[low]), (high, -1.0, 1.0 - u[high])):
            q = np.sqrt(-2.0 * np.log(tail))
            with np.errstate(invalid="ignore"):
                out[mask] = sign * (((((_C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5]) / (
                    (((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1.0
                )
    out[u <= 0.0] = -np.inf
    out[u >= 1.0] = np.inf
    return out
