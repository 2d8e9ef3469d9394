"""API list prices per 1M tokens: an adapter over the `genai-prices` package (pinned 0.2.3, a
maintained price database; github:pydantic/genai-prices), plus `data/api_prices_extra.yaml`,
dated rows for providers it lacks or prices stale (Volcano Ark, DashScope, Qianfan, DeepSeek's
own CNY and USD lists, Zhipu, Moonshot, Tencent Hunyuan), each with market, source and dates.

Only the package's bundled snapshot is read; its network updater is never started. Prices are
those in force on the requested date, for one request of `input_tokens_per_request` tokens:
tiered prices (long context) apply per request, never to a month's volume. Where genai-prices
prices by time of day (DeepSeek), the list price is the day's highest (peak) and the lowest gives
the off-peak discount; its batch variants (`processing: batch`) give the batch discount per token
type, when in force on the date. A supplementary row in force wins over genai-prices, and a row
listed in the caller's currency wins over a USD row. User-typed prices always win; that is the
caller's job.
"""

from __future__ import annotations

import datetime as _dt
import functools
from dataclasses import dataclass

from buildorbuy.catalog._lookup import normalise
from buildorbuy.errors import CatalogError

DEFAULT_INPUT_TOKENS_PER_REQUEST = 1000
"""Request size used to pick a price tier when none is given (the scenario default)."""


TOKEN_TYPES = ("input", "cached_input", "cache_write", "output")
"""Token types priced separately: uncached input, cache reads, cache writes, output."""


@dataclass(frozen=True)
class ApiPrice:
    """Prices per 1M tokens in `currency` (USD unless stated; the field names keep `usd` for
    the common case, a CNY entry carries currency 'CNY')."""

    model: str
    provider: str
    input_per_1m_usd: float
    cached_input_per_1m_usd: float
    output_per_1m_usd: float
    price_date: str | None
    """When this price took effect, where the data says (the supplementary table's valid_from)."""
    source: str
    currency: str = "USD"
    in_force_on: str | None = None
    """The date the price was looked up for (the scenario's start, or today)."""
    cache_write_per_1m: float | None = None
    """Price of input tokens written to a prompt cache; None: the data has none (bill as input)."""
    batch_discount: dict[str, float] | None = None
    """Batch price per token type as a discount off list (0.5 = half price), by TOKEN_TYPES;
    None: no batch price in force on the date."""
    off_peak_discount: dict[str, float] | None = None
    """Off-peak (discounted hours) price per token type as a discount off list; None: none."""
    market: str | None = None
    """`cn` (mainland China list) or `intl` (international list) for supplementary rows; None
    for genai-prices rows."""
    valid_to: str | None = None
    """When a superseded price stopped (exclusive); None: still the newest the data has."""
    verification: str | None = None
    """verified_primary | verified_secondary | derived | unverified (supplementary rows)."""
    tier: str | None = None
    """The long-context tier applied for the request size, if any."""

    @property
    def unverified(self) -> bool:
        return self.verification == "unverified"

    def describe(self) -> str:
        """Row, market, dates and source in one line (for estimates)."""
        dates = ""
        if self.price_date or self.valid_to:
            dates = f", listed {self.price_date or '?'} to {self.valid_to or 'now'}"
        market = f", market {self.market}" if self.market else ""
        tier = f", {self.tier}" if self.tier else ""
        return f"{self.provider}/{self.model} ({self.currency}{market}{dates}{tier}), {self.source}"


def _discounts(list_prices: dict[str, float | None], alt: dict[str, float | None]) -> dict[str, float]:
    """Per token type: 1 − alt / list (0 where list is 0 or alt is unknown)."""
    out = {}
    for t in TOKEN_TYPES:
        base, other = list_prices.get(t), alt.get(t)
        out[t] = 0.0 if not base or other is None else 1.0 - other / base
    return out


@functools.cache
def genai_prices_version() -> str | None:
    """Installed genai-prices version, or None when it is not installed (looked up once: every row cites it)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("genai-prices")
    except PackageNotFoundError:
        return None


def _noon(at: _dt.date | None) -> _dt.datetime:
    day = at or _dt.date.today()
    return _dt.datetime(day.year, day.month, day.day, 12, 0, tzinfo=_dt.timezone.utc)


def _price_at(value, input_tokens: float) -> tuple[float | None, int | None]:
    """A Decimal or TieredPrices (cliff tiers on the request's input tokens) as float, with the
    start of the tier applied (None: base price)."""
    from genai_prices import types

    if value is None:
        return None, None
    if isinstance(value, types.TieredPrices):
        price, start = value.base, None
        for tier in value.tiers:
            if input_tokens > tier.start:
                price, start = tier.price, tier.start
        return float(price), start
    return float(value), None


def _genai_set(prices, input_tokens: float) -> tuple[dict[str, float | None], int | None]:
    values: dict[str, float | None] = {}
    tier = None
    for t, attr in (("input", "input_mtok"), ("cached_input", "cache_read_mtok"), ("cache_write", "cache_write_mtok"),
                    ("output", "output_mtok")):
        values[t], start = _price_at(getattr(prices, attr, None), input_tokens)
        tier = tier if start is None else max(tier or 0, start)
    return values, tier


def _time_of_day_sets(model, day: _dt.date, input_tokens: float):
    """Peak and off-peak price sets when the model's prices depend on the time of day (DeepSeek):
    evaluated every half hour of `day`; peak = the highest input price, off-peak the lowest."""
    from genai_prices import types

    if not isinstance(model.prices, list) or not any(isinstance(c.constraint, types.TimeOfDateConstraint) for c in model.prices):
        return None
    sets = []
    for half_hour in range(48):
        at = _dt.datetime(day.year, day.month, day.day, half_hour // 2, 15 + 30 * (half_hour % 2), tzinfo=_dt.timezone.utc)
        sets.append(_genai_set(model.get_prices(at), input_tokens))
    key = lambda s: (s[0]["input"] or 0.0, s[0]["output"] or 0.0)  # noqa: E731
    return max(sets, key=key), min(sets, key=key)


def _from_genai(provider, model, at, input_tokens) -> ApiPrice | None:
    day = at or _dt.date.today()
    noon = _noon(day)
    both = _time_of_day_sets(model, day, input_tokens)
    if both is not None:
        (values, tier), (off_values, _) = both
    else:
        (values, tier), off_values = _genai_set(model.get_prices(noon), input_tokens), None
    if values["input"] is None or values["output"] is None:
        return None
    listed = dict(values)
    if listed["cached_input"] is None:
        listed["cached_input"] = listed["input"]
    if listed["cache_write"] is None:
        listed["cache_write"] = listed["input"]
    def alt(other: dict[str, float | None]) -> dict[str, float]:
        """Discounts of another price set; types billed as input (no own price) follow input."""
        filled = {t: (listed[t] if other[t] is None else other[t]) for t in TOKEN_TYPES}
        for t in ("cached_input", "cache_write"):
            if values[t] is None and other[t] is None:
                filled[t] = filled["input"]
        return _discounts(listed, filled)

    batch = None
    if any(v.when == {"processing": "batch"} and (v.constraint is None or v.constraint.active(noon))
           for v in model.price_variants or ()):
        batch_values, _ = _genai_set(model.get_prices(noon, {"processing": "batch"}), input_tokens)
        batch = alt(batch_values)
    off_peak = None
    if off_values is not None and off_values != values:
        off_peak = alt(off_values)
    return ApiPrice(
        model=model.id,
        provider=provider.id,
        input_per_1m_usd=listed["input"],
        cached_input_per_1m_usd=listed["cached_input"],
        output_per_1m_usd=listed["output"],
        cache_write_per_1m=values["cache_write"],
        price_date=None,
        in_force_on=day.isoformat(),
        source=f"genai-prices {genai_prices_version()} (github:pydantic/genai-prices), provider {provider.id}, model {model.id}",
        batch_discount=batch,
        off_peak_discount=off_peak,
        tier=None if tier is None else f"long-context tier above {tier:,} input tokens per request",
    )


def _snapshot():
    from genai_prices import data_snapshot

    return data_snapshot.get_snapshot()


# ---------------------------------------------------------------- supplementary table


@functools.cache
def _extra():
    from typing import Literal

    from pydantic import BaseModel, ConfigDict, Field

    class _Strict(BaseModel):
        model_config = ConfigDict(extra="forbid", frozen=True)

    class Provider(_Strict):
        name: str
        pricing_url: str
        aliases: list[str] = []
        genai_provider: str | None = None
        """The genai-prices provider id of the same vendor: naming it consults these rows first."""

    class Tier(_Strict):
        above_input_tokens: int = Field(gt=0)
        input_per_1m: float = Field(ge=0)
        output_per_1m: float = Field(ge=0)
        cached_input_per_1m: float | None = Field(default=None, ge=0)

    class AltPrices(_Strict):
        """Batch or off-peak prices; a token type left out gets the input type's discount."""

        input_per_1m: float = Field(ge=0)
        output_per_1m: float = Field(ge=0)
        cached_input_per_1m: float | None = Field(default=None, ge=0)
        cache_write_per_1m: float | None = Field(default=None, ge=0)

    class Entry(_Strict):
        provider: str
        model: str
        aliases: list[str] = []
        currency: Literal["USD", "CNY"]
        market: Literal["cn", "intl"]
        input_per_1m: float = Field(ge=0)
        cached_input_per_1m: float | None = Field(default=None, ge=0)
        cache_write_per_1m: float | None = Field(default=None, ge=0)
        output_per_1m: float = Field(ge=0)
        valid_from: _dt.date | None
        valid_to: _dt.date | None
        tiers: list[Tier] = []
        batch: AltPrices | None = None
        off_peak: AltPrices | None = None
        verification: Literal["verified_primary", "verified_secondary", "derived", "unverified"]
        source: str

    class ExtraFile(_Strict):
        schema_version: Literal[1]
        providers: dict[str, Provider]
        prices: list[Entry]

    from buildorbuy.catalog._lookup import load_data

    data = ExtraFile.model_validate(load_data("api_prices_extra.yaml"))
    for e in data.prices:
        if e.provider not in data.providers:
            raise ValueError(f"api_prices_extra.yaml: unknown provider '{e.provider}'")
    provider_index = {}
    for pid, p in data.providers.items():
        for name in (pid, *p.aliases):
            provider_index[normalise(name)] = pid
    same_vendor = {normalise(p.genai_provider): pid for pid, p in data.providers.items() if p.genai_provider}
    return data, provider_index, same_vendor


def _extra_provider(provider: str | None) -> str | None:
    if provider is None:
        return None
    return _extra()[1].get(normalise(provider))


def _same_vendor(provider: str | None) -> str | None:
    """The supplementary provider holding the same vendor's own lists as genai-prices provider
    `provider` (deepseek → deepseek-official), or None."""
    if provider is None:
        return None
    return _extra()[2].get(normalise(provider))


def _in_force(e, day: _dt.date) -> bool:
    return (e.valid_from is None or e.valid_from <= day) and (e.valid_to is None or day < e.valid_to)


def _alt_discounts(listed: dict[str, float], alt) -> dict[str, float] | None:
    if alt is None:
        return None
    d_in = 0.0 if not listed["input"] else 1.0 - alt.input_per_1m / listed["input"]
    out = _discounts(listed, {"input": alt.input_per_1m, "output": alt.output_per_1m,
                              "cached_input": alt.cached_input_per_1m, "cache_write": alt.cache_write_per_1m})
    for t, given in (("cached_input", alt.cached_input_per_1m), ("cache_write", alt.cache_write_per_1m)):
        if given is None:
            out[t] = d_in
    return out


def _entry_price(e, day: _dt.date, input_tokens: float) -> ApiPrice:
    inp, out, cached = e.input_per_1m, e.output_per_1m, e.cached_input_per_1m
    base = {"input": e.input_per_1m, "cached_input": e.cached_input_per_1m if e.cached_input_per_1m is not None else e.input_per_1m,
            "cache_write": e.cache_write_per_1m if e.cache_write_per_1m is not None else e.input_per_1m, "output": e.output_per_1m}
    tier = None
    for t in sorted(e.tiers, key=lambda t: t.above_input_tokens):
        if input_tokens > t.above_input_tokens:
            tier = t
    if tier is not None:
        # The tier's cached price, else the base cache ratio applied to the tier's input price.
        ratio = 1.0 if not e.input_per_1m else base["cached_input"] / e.input_per_1m
        inp, out = tier.input_per_1m, tier.output_per_1m
        cached = tier.cached_input_per_1m if tier.cached_input_per_1m is not None else inp * ratio
    cached = inp if cached is None else cached
    write = None
    if e.cache_write_per_1m is not None:
        write = e.cache_write_per_1m * (inp / e.input_per_1m if e.input_per_1m else 1.0)
    return ApiPrice(
        model=e.model,
        provider=e.provider,
        input_per_1m_usd=inp,
        cached_input_per_1m_usd=cached,
        output_per_1m_usd=out,
        cache_write_per_1m=write,
        price_date=e.valid_from.isoformat() if e.valid_from else None,
        valid_to=e.valid_to.isoformat() if e.valid_to else None,
        source=f"{e.source} [{e.verification}]",
        currency=e.currency,
        market=e.market,
        verification=e.verification,
        in_force_on=day.isoformat(),
        batch_discount=_alt_discounts(base, e.batch),
        off_peak_discount=_alt_discounts(base, e.off_peak),
        tier=None if tier is None else f"long-context tier above {tier.above_input_tokens:,} input tokens per request",
    )


def _extra_lookup(model: str, provider: str | None, at: _dt.date | None, input_tokens: float,
                  currency: str = "USD") -> ApiPrice | None:
    """The supplementary row for `model` in force on `at`: a row listed in `currency` wins (the
    provider's own market list), then a USD row (converted by the caller), then any other."""
    data = _extra()[0]
    key = normalise(model)
    day = at or _dt.date.today()
    matches = [
        e for e in data.prices
        if (provider is None or e.provider == provider)
        and key in {normalise(n) for n in (e.model, *e.aliases)}
        and _in_force(e, day)
    ]
    if not matches:
        return None
    rank = lambda m: (m.currency == currency, m.currency == "USD", m.valid_from or _dt.date.min)  # noqa: E731
    return _entry_price(max(matches, key=rank), day, input_tokens)


# ---------------------------------------------------------------- public


def lookup_api_price(
    model: str,
    provider: str | None = None,
    at: _dt.date | None = None,
    *,
    input_tokens_per_request: float = DEFAULT_INPUT_TOKENS_PER_REQUEST,
    currency: str = "USD",
) -> ApiPrice:
    """Prices per 1M tokens of `model` (at `provider`, on date `at`, default today) for a request
    of `input_tokens_per_request` input tokens. CatalogError with suggestions when unknown.

    Precedence: a supplementary-table row in force on `at` (curated, dated; a row listed in
    `currency` first, so a CNY scenario gets the mainland CNY list rather than a converted USD
    price), then the genai-prices snapshot. Naming a genai-prices provider reads the snapshot only,
    except for a vendor whose own lists the table holds (deepseek → deepseek-official).
    """
    extra_provider = _extra_provider(provider)
    vendor = extra_provider or _same_vendor(provider)
    found = None
    if provider is None or vendor is not None:
        found = _extra_lookup(model, vendor, at, input_tokens_per_request, currency)
    other_currency = found if found is not None and found.currency not in (currency, "USD") else None
    if (found is None or other_currency is not None) and extra_provider is None:
        try:
            snap = _snapshot()
            prov, info = snap.find_provider_model(model, None, provider, None)
            found = _from_genai(prov, info, at, input_tokens_per_request)
        except LookupError:
            found = None
        found = found or other_currency  # a row the caller cannot convert beats none: it says why
    if found is None:
        raise _unknown(model, provider, extra_provider, at)
    return found


def batch_listed_from(model: str, provider: str | None = None) -> _dt.date | None:
    """The first date genai-prices lists a batch price for `model` (its `processing: batch` variant's
    start date), or None when it lists none or none dated. Used to say why `batch_discount: auto`
    finds nothing on an earlier start."""
    from genai_prices import types

    try:
        _, info = _snapshot().find_provider_model(model, None, provider, None)
    except LookupError:
        return None
    dates = [v.constraint.start_date for v in info.price_variants or ()
             if v.when == {"processing": "batch"} and isinstance(v.constraint, types.StartDateConstraint)]
    return min(dates) if dates else None


def price_change_dates(model: str, provider: str | None = None) -> list[_dt.date]:
    """Dates on which the price data changes `model`'s list price (supplementary rows' starts and
    ends, genai-prices' dated conditional prices), sorted; an empty list when it has none."""
    from genai_prices import types

    dates: set[_dt.date] = set()
    extra_provider = _extra_provider(provider)
    vendor = extra_provider or _same_vendor(provider)
    if provider is None or vendor is not None:
        data = _extra()[0]
        key = normalise(model)
        for e in data.prices:
            if vendor in (None, e.provider) and key in {normalise(n) for n in (e.model, *e.aliases)}:
                dates.update(d for d in (e.valid_from, e.valid_to) if d is not None)
    if extra_provider is None:
        try:
            _, info = _snapshot().find_provider_model(model, None, provider, None)
        except LookupError:
            info = None
        if info is not None and isinstance(info.prices, list):
            dates.update(c.constraint.start_date for c in info.prices if isinstance(c.constraint, types.StartDateConstraint))
    return sorted(dates)


def _unknown(model: str, provider: str | None, extra_provider: str | None, at) -> CatalogError:
    import difflib

    data = _extra()[0]
    snap = _snapshot()
    if provider is not None and extra_provider is None:
        try:
            prov = snap.find_provider(None, provider, None)
        except LookupError:
            providers = [p.id for p in snap.providers] + list(data.providers)
            close = difflib.get_close_matches(provider.lower(), providers, n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            return CatalogError(f"unknown API provider '{provider}'{hint} (list them with `buildorbuy catalog apis`)", field="provider")
        candidates = [m.id for m in prov.models]
    else:
        candidates = [e.model for e in data.prices if extra_provider in (None, e.provider)]
        if extra_provider is None:
            candidates += [m.id for p in snap.providers for m in p.models]
    close = difflib.get_close_matches(model.lower(), list(dict.fromkeys(candidates)), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    where = f" at provider '{provider}'" if provider else ""
    when = f" on {at.isoformat()}" if at and extra_provider else ""
    return CatalogError(f"no API price for model '{model}'{where}{when}{hint} (list them with `buildorbuy catalog apis`)", field="model")


def iter_api_models(provider: str | None = None, at: _dt.date | None = None, *, currency: str | None = None,
                    contains: str | None = None):
    """Every token-priced model (optionally of one provider, listed in one currency, with
    `contains` in its name) with its prices on `at` (default today), one at a time: the
    supplementary table first (every currency's row in force), then the genai-prices snapshot."""
    extra_provider = _extra_provider(provider)
    vendor = extra_provider or _same_vendor(provider)  # deepseek → deepseek-official: the rows a lookup reads first
    needle = contains.lower() if contains else None
    wanted = currency.upper() if currency else None
    day = at or _dt.date.today()
    if provider is None or vendor is not None:
        data = _extra()[0]
        seen = set()
        for e in data.prices:
            if vendor not in (None, e.provider) or (wanted and e.currency != wanted):
                continue
            if needle and needle not in e.model.lower() and not any(needle in a.lower() for a in e.aliases):
                continue
            if (e.provider, e.model, e.currency) in seen:
                continue
            rows = [r for r in data.prices if (r.provider, r.model, r.currency) == (e.provider, e.model, e.currency) and _in_force(r, day)]
            if rows:
                seen.add((e.provider, e.model, e.currency))
                yield _entry_price(max(rows, key=lambda r: r.valid_from or _dt.date.min), day, DEFAULT_INPUT_TOKENS_PER_REQUEST)
    if extra_provider is None and wanted in (None, "USD"):
        snap = _snapshot()
        providers = snap.providers
        if provider is not None:
            try:
                providers = [snap.find_provider(None, provider, None)]
            except LookupError:
                raise _unknown("", provider, None, at) from None
        for prov in providers:
            for info in prov.models:
                if needle and needle not in info.id.lower():
                    continue
                price = _from_genai(prov, info, at, DEFAULT_INPUT_TOKENS_PER_REQUEST)
                if price is not None:
                    yield price


def list_api_models(provider: str | None = None, at: _dt.date | None = None, *, currency: str | None = None,
                    contains: str | None = None) -> list[ApiPrice]:
    """`iter_api_models` as a list."""
    return list(iter_api_models(provider, at, currency=currency, contains=contains))
