"""API list prices per 1M tokens: an adapter over the `genai-prices` package (pinned 0.2.3, a
maintained price database; github:pydantic/genai-prices), plus `data/api_prices_extra.yaml`
for providers it lacks (Volcano Ark, DashScope, Qianfan, DeepSeek's own CNY list).

Only the package's bundled snapshot is read; its network updater is never started. Prices are
evaluated at 12:00 UTC on the requested date (so time-of-day discounts such as DeepSeek's former
off-peak rate are not applied) and for one request of `input_tokens_per_request` tokens: tiered
prices (e.g. Gemini above 200K prompt tokens) apply per request, never to a month's volume.
User-typed prices always win; that is the caller's job.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import functools
from dataclasses import dataclass

from buildorbuy.catalog._lookup import normalise
from buildorbuy.errors import CatalogError

DEFAULT_INPUT_TOKENS_PER_REQUEST = 1000
"""Request size used to pick a price tier when none is given (the scenario default)."""


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


def _price_at(value, input_tokens: float) -> float | None:
    """A Decimal or TieredPrices (cliff tiers on the request's input tokens) as float."""
    from genai_prices import types

    if value is None:
        return None
    if isinstance(value, types.TieredPrices):
        price = value.base
        for tier in value.tiers:
            if input_tokens > tier.start:
                price = tier.price
        return float(price)
    return float(value)


def _from_genai(provider, model, at, input_tokens) -> ApiPrice | None:
    prices = model.get_prices(_noon(at))
    inp = _price_at(getattr(prices, "input_mtok", None), input_tokens)
    out = _price_at(getattr(prices, "output_mtok", None), input_tokens)
    if inp is None or out is None:
        return None
    cached = _price_at(getattr(prices, "cache_read_mtok", None), input_tokens)
    return ApiPrice(
        model=model.id,
        provider=provider.id,
        input_per_1m_usd=inp,
        cached_input_per_1m_usd=inp if cached is None else cached,
        output_per_1m_usd=out,
        price_date=None,
        in_force_on=(at or _dt.date.today()).isoformat(),
        source=f"genai-prices {genai_prices_version()} (github:pydantic/genai-prices), provider {provider.id}, model {model.id}",
    )


def _snapshot():
    from genai_prices import data_snapshot

    return data_snapshot.get_snapshot()


# ---------------------------------------------------------------- supplementary table


@functools.cache
def _extra():
    import importlib.resources
    from typing import Literal

    import yaml
    from pydantic import BaseModel, ConfigDict, Field

    class _Strict(BaseModel):
        model_config = ConfigDict(extra="forbid", frozen=True)

    class Provider(_Strict):
        name: str
        pricing_url: str
        aliases: list[str] = []

    class LongContext(_Strict):
        above_input_tokens: int = Field(gt=0)
        input_per_1m: float = Field(ge=0)
        output_per_1m: float = Field(ge=0)

    class Entry(_Strict):
        provider: str
        model: str
        aliases: list[str] = []
        currency: Literal["USD", "CNY"]
        input_per_1m: float = Field(ge=0)
        cached_input_per_1m: float | None = Field(default=None, ge=0)
        output_per_1m: float = Field(ge=0)
        valid_from: _dt.date | None
        valid_to: _dt.date | None
        long_context: LongContext | None = None
        verification: Literal["verified_primary", "verified_secondary", "derived", "unverified"]
        source: str

    class ExtraFile(_Strict):
        schema_version: Literal[1]
        providers: dict[str, Provider]
        prices: list[Entry]

    text = importlib.resources.files("buildorbuy.catalog").joinpath("data/api_prices_extra.yaml").read_text(encoding="utf-8")
    data = ExtraFile.model_validate(yaml.safe_load(text))
    for e in data.prices:
        if e.provider not in data.providers:
            raise ValueError(f"api_prices_extra.yaml: unknown provider '{e.provider}'")
    provider_index = {}
    for pid, p in data.providers.items():
        for name in (pid, *p.aliases):
            provider_index[normalise(name)] = pid
    return data, provider_index


def _extra_provider(provider: str | None) -> str | None:
    if provider is None:
        return None
    return _extra()[1].get(normalise(provider))


def _extra_lookup(model: str, provider: str | None, at: _dt.date | None, input_tokens: float) -> ApiPrice | None:
    data, _ = _extra()
    key = normalise(model)
    day = at or _dt.date.today()
    matches = [
        e for e in data.prices
        if (provider is None or e.provider == provider)
        and key in {normalise(n) for n in (e.model, *e.aliases)}
        and (e.valid_from is None or e.valid_from <= day)
        and (e.valid_to is None or day < e.valid_to)
    ]
    if not matches:
        return None
    e = max(matches, key=lambda m: m.valid_from or _dt.date.min)
    inp, out = e.input_per_1m, e.output_per_1m
    if e.long_context and input_tokens > e.long_context.above_input_tokens:
        inp, out = e.long_context.input_per_1m, e.long_context.output_per_1m
    return ApiPrice(
        model=e.model,
        provider=e.provider,
        input_per_1m_usd=inp,
        cached_input_per_1m_usd=inp if e.cached_input_per_1m is None else e.cached_input_per_1m,
        output_per_1m_usd=out,
        price_date=e.valid_from.isoformat() if e.valid_from else None,
        source=f"{e.source} [{e.verification}]",
        currency=e.currency,
    )


# ---------------------------------------------------------------- public


def lookup_api_price(
    model: str,
    provider: str | None = None,
    at: _dt.date | None = None,
    *,
    input_tokens_per_request: float = DEFAULT_INPUT_TOKENS_PER_REQUEST,
) -> ApiPrice:
    """Prices per 1M tokens of `model` (at `provider`, on date `at`, default today) for a request
    of `input_tokens_per_request` input tokens. CatalogError with suggestions when unknown."""
    extra_provider = _extra_provider(provider)
    if extra_provider is not None:
        found = _extra_lookup(model, extra_provider, at, input_tokens_per_request)
    else:
        found = None
        try:
            snap = _snapshot()
            prov, info = snap.find_provider_model(model, None, provider, None)
            found = _from_genai(prov, info, at, input_tokens_per_request)
        except LookupError:
            found = None
        if found is None and provider is None:
            found = _extra_lookup(model, None, at, input_tokens_per_request)
    if found is None:
        raise _unknown(model, provider, extra_provider, at)
    return found


def _unknown(model: str, provider: str | None, extra_provider: str | None, at) -> CatalogError:
    data, _ = _extra()
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


def list_api_models(provider: str | None = None, at: _dt.date | None = None) -> list[ApiPrice]:
    """Every token-priced model (optionally of one provider) with its prices on `at` (default
    today): the genai-prices snapshot first, then the supplementary table."""
    out: list[ApiPrice] = []
    extra_provider = _extra_provider(provider)
    if extra_provider is None:
        snap = _snapshot()
        providers = snap.providers
        if provider is not None:
            try:
                providers = [snap.find_provider(None, provider, None)]
            except LookupError:
                raise _unknown("", provider, None, at) from None
        for prov in providers:
            for info in prov.models:
                price = _from_genai(prov, info, at, DEFAULT_INPUT_TOKENS_PER_REQUEST)
                if price is not None:
                    out.append(price)
    if provider is None or extra_provider is not None:
        data, _ = _extra()
        seen = set()
        for e in data.prices:
            if extra_provider not in (None, e.provider) or (e.provider, e.model) in seen:
                continue
            price = _extra_lookup(e.model, e.provider, at, DEFAULT_INPUT_TOKENS_PER_REQUEST)
            if price is not None:
                seen.add((e.provider, e.model))
                out.append(price)
    return out
