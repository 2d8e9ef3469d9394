"""`buildorbuy estimate training|finetune|serving`: one-off estimates from the command line.

Parses options, calls one function of `buildorbuy.estimators.report`, renders. numpy, rich and
the catalogs are imported inside the commands, so `buildorbuy --help` stays light.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from buildorbuy.cli.app import app
from buildorbuy.cli.common import FORMAT_HELP, LANG_HELP, OUTPUT_HELP, Format, Lang, fail, guarded, output_path, say

estimate_app = typer.Typer(
    help="Estimate compute, GPU-hours and cost of pretraining, fine-tuning or serving one model.\n\n"
         "\b\nExamples:\n"
         "  buildorbuy estimate training --params 70B --tokens 2T --gpu a100-80gb --gpus 2048\n"
         "  buildorbuy estimate serving --model llama-3.1-70b --gpu h100-sxm",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(estimate_app, name="estimate", short_help="Estimate training, fine-tune or serving compute and cost.")

PARAMS_HELP = "Total parameters, e.g. 70B (or use --model)."
ACTIVE_HELP = "Active parameters per token for a mixture of experts, e.g. 37B (default: --params)."
MODEL_HELP = "A catalog model instead of --params/--active-params, e.g. llama-3.1-70b (see `buildorbuy catalog models`)."
FINETUNE_MODEL_HELP = "A catalog model instead of --params, e.g. llama-3.1-8b (see `buildorbuy catalog models`)."
GPU_HELP = "GPU id or alias, e.g. h100-sxm, a100 (see `buildorbuy catalog gpus`)."
PRICE_HELP = "USD per GPU-hour (default: the catalog's dated rental price, when it has one)."
MFU_HELP = "Model FLOPs utilisation in (0, 1] (default: auto, fitted to published runs)."
TRAIN_PRECISION_HELP = "Compute precision: bf16 (default) or fp8 (auto MFU then uses the FP8 peak with its own efficiency)."


def _quantity(value: Optional[str], field: str) -> Optional[float]:
    if value is None:
        return None
    from buildorbuy.errors import BuildOrBuyError
    from buildorbuy.scenario.types import MAX_PARAMS, MAX_TOKENS, parse_amount

    try:
        number = float(parse_amount(value))
    except (TypeError, ValueError) as exc:
        raise BuildOrBuyError(str(exc), field=field) from None
    limit = MAX_PARAMS if "params" in field else MAX_TOKENS
    if not abs(number) <= limit:
        raise BuildOrBuyError(f"must be at most {limit:.0e} (got {value})", field=field)
    return number


def _model_params(params: Optional[str], active_params: Optional[str], model: Optional[str]):
    """(total, active, ModelSpec or None) from --params/--active-params or --model."""
    from buildorbuy.errors import BuildOrBuyError

    spec = None
    if model is not None:
        if params is not None:
            raise BuildOrBuyError("give --params or --model, not both", field="params")
        from buildorbuy.catalog.models import get_model

        spec = get_model(model)
        total, active = spec.params_total, spec.params_active
    elif params is None:
        raise BuildOrBuyError("give --params (e.g. 70B) or --model (e.g. llama-3.1-70b)", field="params")
    else:
        total = _quantity(params, "params")
        active = total
    if active_params is not None:
        active = _quantity(active_params, "active_params")
    if not total > 0:
        raise BuildOrBuyError(f"must be positive (got {params})", field="params")
    if not 0 < active <= total:
        raise BuildOrBuyError(f"must be positive and at most the total parameters (got {active_params})", field="active_params")
    return total, active, spec


def _request_lengths(input_len: str, output_len: str, spec) -> tuple[float, float]:
    """--input-len and --output-len as numbers, within the model's context window (a catalog
    model's own, else the longest published one, `MAX_TOKENS_PER_REQUEST`)."""
    from buildorbuy.errors import BuildOrBuyError
    from buildorbuy.scenario.models import MAX_TOKENS_PER_REQUEST

    lengths = _quantity(input_len, "--input-len"), _quantity(output_len, "--output-len")
    for option, value in zip(("--input-len", "--output-len"), lengths):
        if not value > 0:
            raise BuildOrBuyError(f"must be a positive number of tokens (got {value:g})", field=option)
        if value > MAX_TOKENS_PER_REQUEST:
            raise BuildOrBuyError(f"must be at most {MAX_TOKENS_PER_REQUEST:,.0f} tokens, the longest published "
                                  f"context window (got {value:g})", field=option)
    if spec is not None and sum(lengths) > spec.context_length:
        option = "--output-len" if lengths[1] > spec.context_length else "--input-len"
        raise BuildOrBuyError(f"{lengths[0]:g} input + {lengths[1]:g} output tokens per request exceed {spec.id}'s "
                              f"context window of {spec.context_length:,} tokens", field=option)
    return lengths


def _render(result: dict, fmt: Format, title: str, output=None, lang: str = "en") -> None:
    """`title` is an i18n key (est.title.*); table and markdown label fields in `lang`, csv and json keep the keys."""
    import json

    from buildorbuy.cli.common import write_output
    from buildorbuy.render.i18n import estimate_field_label, message, t

    title = t(title, lang)

    for warning in result.get("warnings", []):
        say(t("cli.warning", lang, text=message(warning, lang)), err=True)
    if fmt is Format.json:
        write_output(json.dumps(result, indent=2, ensure_ascii=False), output)
        return
    fields = [(k, v) for k, v in result.items() if k not in ("warnings", "cost_source")]
    if fmt is Format.csv:  # data: plain numbers, as in JSON
        import io

        from buildorbuy.render.formatting import data_number

        buf = io.StringIO()
        from buildorbuy.render.escape import csv_writer  # text cells formula-safe

        writer = csv_writer(buf)
        writer.writerow(["field", "value"])
        writer.writerows([(k, data_number(v) if isinstance(v, (int, float)) else ("" if v is None else str(v))) for k, v in fields])
        write_output(buf.getvalue(), output)
        return
    rows = [(estimate_field_label(k, lang), _show(k, v, lang)) for k, v in fields]
    if fmt is Format.markdown:
        from buildorbuy.render.tables import markdown_table

        header = ["field", "value"] if lang == "en" else [t("col.field", lang), t("col.value", lang)]
        write_output(f"### {title}\n\n" + markdown_table(header, [list(r) for r in rows]), output)
        return
    from buildorbuy.render.tables import rich_table, text_console

    console = text_console(color=False, width=None)
    # the shared builder: fits the terminal, folds the long texts (method, sources) between words, never splits a number
    console.print(rich_table(title, [t("col.field", lang), t("col.value", lang)], [list(r) for r in rows], right_from=2,
                             prose=(1,), lang=lang))
    write_output(console.file.getvalue(), output)


_COUNTS = ("params", "active_params", "tokens", "tokens_per_month", "flops")


def _show(key: str, value, lang: str = "en") -> str:
    """A value for people: counts as 70B, money with cents, other numbers as formatting.number does
    (1,601,234, never 1.6e+06), a per-TP dict as `TP 2: 291.3, TP 4: 587.2`, text values in `lang`."""
    from buildorbuy.render import formatting as fmt
    from buildorbuy.phrases import Message
    from buildorbuy.render.i18n import estimate_value_label, message

    if isinstance(value, dict):
        sep = "，" if lang == "zh" else ", "
        label = "TP {}".format if key.endswith("_by_tp") else str
        return sep.join(f"{label(k)}: {_show('', v, lang)}" for k, v in value.items())
    if isinstance(value, Message):
        return message(value, lang)
    if isinstance(value, str):
        return estimate_value_label(value, lang)
    if isinstance(value, float) and key in _COUNTS:
        for unit, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("k", 1e3)):
            if value >= scale and key != "flops":
                return f"{value / scale:.4g}{unit}"
        return f"{value:.3g}"
    if isinstance(value, float):
        if key == "gpu_hour_price" or (key in ("cost", "monthly_cost") and abs(value) < 1000):
            return f"{value:,.2f}"
        if key in ("cost", "monthly_cost"):  # whole currency units, as every other command prints money
            return fmt.number(round(value))
        if key in ("mfu", "target_utilization"):
            return f"{value:.3f}"
        if abs(value) >= 1000:
            return fmt.number(round(value))
        return f"{value:,.4g}"
    return str(value)


MAX_TENSOR_PARALLEL = 1024
MAX_GPU_HOUR_PRICE = 1e15
"""The bound a scenario's gpu_hour_price has (USD per GPU-hour)."""
MAX_PEAK_TO_AVERAGE = 1000.0
"""The bound a scenario's workload.peak_to_average has."""


def _check_range(option: str, value: Optional[float], low: float, high: float) -> None:
    """A one-line error naming `option` unless `value` (when given) lies in [low, high]: checked
    whether or not the estimate uses it, so a bad value is never silently ignored."""
    if value is not None and not low <= value <= high:
        raise fail(f"{option}: must be a number from {low:g} to {high:g} (got {value:g})")
"""--tensor-parallel above this is refused: 128 nodes of 8 GPUs, beyond any published serving deployment of one model."""


@estimate_app.command("training")
@guarded
def training(
    params: Optional[str] = typer.Option(None, "--params", help=PARAMS_HELP),
    active_params: Optional[str] = typer.Option(None, "--active-params", help=ACTIVE_HELP),
    model: Optional[str] = typer.Option(None, "--model", help=MODEL_HELP),
    tokens: str = typer.Option(..., "--tokens", help="Training tokens, e.g. 2T."),
    gpu: str = typer.Option(..., "--gpu", help=GPU_HELP),
    gpus: Optional[int] = typer.Option(None, "--gpus", help="GPUs in the cluster: adds wall-clock days."),
    mfu: Optional[float] = typer.Option(None, "--mfu", help=MFU_HELP),
    precision: str = typer.Option("bf16", "--precision", help=TRAIN_PRECISION_HELP),
    gpu_hour_price: Optional[float] = typer.Option(None, "--gpu-hour-price", help=PRICE_HELP),
    format: Format = typer.Option(Format.table, "--format", "-f", help=FORMAT_HELP),
    output: Optional[Path] = typer.Option(None, "--output", "-o", parser=output_path, metavar="FILE", help=OUTPUT_HELP),
    lang: Lang = typer.Option(Lang.en, "--lang", help=LANG_HELP),
) -> None:
    """Pretraining: FLOPs (6·N_active·D), MFU, GPU-hours, wall-clock and cost.

    \b
    Example:
      buildorbuy estimate training --params 70B --tokens 2T --gpu h100-sxm --gpus 2048
    """
    _check_range("--gpu-hour-price", gpu_hour_price, 0, MAX_GPU_HOUR_PRICE)
    from buildorbuy.catalog.gpus import get_gpu
    from buildorbuy.estimators.report import estimate_training

    total, active, _ = _model_params(params, active_params, model)
    result = estimate_training(get_gpu(gpu), active, _quantity(tokens, "tokens"), total_params=total,
                               gpus=gpus, mfu=mfu, gpu_hour_price_usd=gpu_hour_price, precision=precision)
    _render(result, format, "est.title.training", output, lang.value)


@estimate_app.command("finetune")
@guarded
def finetune(
    params: Optional[str] = typer.Option(None, "--params", help=PARAMS_HELP),
    model: Optional[str] = typer.Option(None, "--model", help=FINETUNE_MODEL_HELP),
    tokens: str = typer.Option(..., "--tokens", help="Fine-tuning tokens per epoch, e.g. 25M."),
    epochs: float = typer.Option(1.0, "--epochs", help="Passes over the data."),
    method: str = typer.Option("lora", "--method", help="full, lora or qlora."),
    gpu: str = typer.Option(..., "--gpu", help=GPU_HELP),
    gpus: Optional[int] = typer.Option(None, "--gpus", help="GPUs used: adds wall-clock days."),
    mfu: Optional[float] = typer.Option(None, "--mfu", help=MFU_HELP),
    precision: str = typer.Option("bf16", "--precision", help=TRAIN_PRECISION_HELP),
    gpu_hour_price: Optional[float] = typer.Option(None, "--gpu-hour-price", help=PRICE_HELP),
    format: Format = typer.Option(Format.table, "--format", "-f", help=FORMAT_HELP),
    output: Optional[Path] = typer.Option(None, "--output", "-o", parser=output_path, metavar="FILE", help=OUTPUT_HELP),
    lang: Lang = typer.Option(Lang.en, "--lang", help=LANG_HELP),
) -> None:
    """Fine-tuning: FLOPs (full 6, LoRA 4, QLoRA 6 ·N·D·epochs), MFU, GPU-hours and cost.

    \b
    Example:
      buildorbuy estimate finetune --model llama-3.1-8b --tokens 20M --epochs 3 --gpu a100-80gb
    """
    _check_range("--gpu-hour-price", gpu_hour_price, 0, MAX_GPU_HOUR_PRICE)
    from buildorbuy.catalog.gpus import get_gpu
    from buildorbuy.estimators.report import estimate_finetune

    total, _, _ = _model_params(params, None, model)
    result = estimate_finetune(get_gpu(gpu), total, _quantity(tokens, "tokens"), epochs, method,
                               gpus=gpus, mfu=mfu, gpu_hour_price_usd=gpu_hour_price, precision=precision)
    _render(result, format, "est.title.finetune", output, lang.value)


@estimate_app.command("serving")
@guarded
def serving(
    params: Optional[str] = typer.Option(None, "--params", help=PARAMS_HELP),
    active_params: Optional[str] = typer.Option(None, "--active-params", help=ACTIVE_HELP),
    model: Optional[str] = typer.Option(None, "--model", help=MODEL_HELP),
    gpu: str = typer.Option(..., "--gpu", help=GPU_HELP),
    precision: Optional[str] = typer.Option(None, "--precision", help="bf16, fp16, fp8, int8, int4 or fp4 (default: the model's, else bf16)."),
    input_len: str = typer.Option("1000", "--input-len", help="Input tokens per request."),
    output_len: str = typer.Option("250", "--output-len", help="Output tokens per request."),
    max_concurrency: Optional[int] = typer.Option(None, "--max-concurrency", help="Requests in flight per replica at most."),
    tokens_per_month: Optional[str] = typer.Option(None, "--tokens-per-month", help="Input + output tokens per month, e.g. 5B: adds GPUs and monthly cost."),
    peak_to_average: float = typer.Option(2.0, "--peak-to-average", min=1.0, metavar="RATIO", help="Peak load over average load (≥ 1)."),
    target_utilization: float = typer.Option(0.7, "--target-utilization", help="Share of peak throughput to plan for, in (0, 1]."),
    gpu_hour_price: Optional[float] = typer.Option(None, "--gpu-hour-price", help=PRICE_HELP),
    tpot_ms: Optional[float] = typer.Option(None, "--tpot-ms", help="Latency target: time per output token, ms (caps the batch)."),
    ttft_ms: Optional[float] = typer.Option(None, "--ttft-ms", help="Latency target: time to first token, ms (caps the batch)."),
    cached_input_share: float = typer.Option(0.0, "--cached-input-share", help="Share of input tokens served from the prefix cache (no prefill), in [0, 1]."),
    tensor_parallel: Optional[int] = typer.Option(None, "--tensor-parallel", help="GPUs per replica: 1, 2, 4, 8 or a multiple of 8, at most 1,024 (default: the degree with the lowest cost per token)."),
    format: Format = typer.Option(Format.table, "--format", "-f", help=FORMAT_HELP),
    output: Optional[Path] = typer.Option(None, "--output", "-o", parser=output_path, metavar="FILE", help=OUTPUT_HELP),
    lang: Lang = typer.Option(Lang.en, "--lang", help=LANG_HELP),
) -> None:
    """Serving: tensor-parallel degree, batch, throughput per GPU and its bound; with a volume, GPUs and monthly cost (730 h).

    \b
    Example:
      buildorbuy estimate serving --model llama-3.1-70b --gpu h100-sxm --tokens-per-month 5B -f json
    """
    if not 0 < target_utilization <= 1:
        raise fail(f"--target-utilization: must be in (0, 1] (got {target_utilization:g})")
    _check_range("--gpu-hour-price", gpu_hour_price, 0, MAX_GPU_HOUR_PRICE)
    _check_range("--peak-to-average", peak_to_average, 1, MAX_PEAK_TO_AVERAGE)
    for option, value in (("--tpot-ms", tpot_ms), ("--ttft-ms", ttft_ms), ("--tensor-parallel", tensor_parallel)):
        if value is not None and not value > 0:
            raise fail(f"{option}: must be positive (got {value:g})")
    if not 0 <= cached_input_share <= 1:
        raise fail(f"--cached-input-share: must be in [0, 1] (got {cached_input_share:g})")
    from buildorbuy.catalog.gpus import get_gpu
    from buildorbuy.estimators.report import estimate_serving_capacity
    from buildorbuy.estimators.serving import KV_BYTES_PER_ELEMENT, NODE_GPUS, _precision, is_replica_size

    if tensor_parallel is not None and tensor_parallel > MAX_TENSOR_PARALLEL:
        raise fail(f"--tensor-parallel: at most {MAX_TENSOR_PARALLEL:,} GPUs per replica ({MAX_TENSOR_PARALLEL // NODE_GPUS} "
                   f"nodes of {NODE_GPUS}; got {tensor_parallel:.3g})")
    if tensor_parallel is not None and not is_replica_size(tensor_parallel):
        raise fail(f"--tensor-parallel: must be 1, 2, 4 or {NODE_GPUS} GPUs in one node, or a multiple of {NODE_GPUS} "
                   f"(whole nodes), as the serving estimate splits a model (got {tensor_parallel})")

    total, active, spec = _model_params(params, active_params, model)
    l_in, l_out = _request_lengths(input_len, output_len, spec)
    prec = _precision(precision or (spec.default_precision if spec else "bf16"))
    kv = spec.kv_elements_per_token * KV_BYTES_PER_ELEMENT[prec] if spec else None
    from buildorbuy.estimators._arrays import EstimatorError

    try:
        result = estimate_serving_capacity(
            get_gpu(gpu), total, active, prec, l_in, l_out,
            kv_bytes_per_token=kv, max_concurrency=max_concurrency, tokens_per_month=_quantity(tokens_per_month, "tokens_per_month"),
            peak_to_average=peak_to_average, target_utilization=target_utilization, gpu_hour_price_usd=gpu_hour_price,
            layers=spec.layers if spec else None, cached_input_share=cached_input_share, gpus_per_replica=tensor_parallel,
            time_per_output_token_ms=tpot_ms, time_to_first_token_ms=ttft_ms,
        )
    except EstimatorError as exc:
        if exc.field == "gpus_per_replica":
            exc.field = "--tensor-parallel"
        raise
    if spec:
        result = {"model": spec.id, **result}
    _render(result, format, "est.title.serving", output, lang.value)
