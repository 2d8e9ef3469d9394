"""training.precision / finetune.precision: optional, default bf16 (figures unchanged), fp8 follows
the FP8 peak with its own efficiency, refused on GPUs without FP8 tensor cores."""

from tests.conftest import REPO
from typer.testing import CliRunner

from buildorbuy.analysis.compare import compare
from buildorbuy.catalog.gpus import get_gpu
from buildorbuy.cli import app
from buildorbuy.estimators import training as tr
from buildorbuy.scenario.loading import load_scenario

SCENARIO = REPO / "scenarios" / "domain-model-50b.yaml"
OWN = "paths[Own 50B domain model]"


def _mfu(overrides):
    cmp = compare(load_scenario(SCENARIO, overrides))
    own = next(p for p in cmp.paths if p.name == "Own 50B domain model")
    return own.estimates["training.mfu"]["value"], own


def test_default_is_bf16_and_explicit_bf16_changes_nothing():
    a, own_a = _mfu([])
    b, own_b = _mfu([f"{OWN}.training.precision=bf16"])
    assert a == b and own_a.npv == own_b.npv


def test_fp8_on_h100_scales_by_the_fp8_gain():
    bf16, _ = _mfu([f"{OWN}.training.gpu=h100-sxm"])
    fp8, _ = _mfu([f"{OWN}.training.gpu=h100-sxm", f"{OWN}.training.precision=fp8"])
    h100 = get_gpu("h100-sxm")
    assert fp8 == __import__("pytest").approx(bf16 * h100.fp8_tflops / h100.bf16_tflops * tr.FP8_EFFICIENCY, rel=1e-9)


def test_fp8_on_a100_is_a_one_line_error_naming_the_field():
    out = CliRunner().invoke(app, ["compare", str(SCENARIO), "--set", f"{OWN}.training.precision=fp8"])
    assert out.exit_code == 2
    assert "training.precision" in out.output and "no FP8" in out.output
    assert "Traceback" not in out.output


def test_finetune_precision_fp8_on_h100():
    sc = load_scenario(SCENARIO, ["paths[Fine-tuned Llama 3.1 70B].finetune.precision=fp8"])
    assert sc.paths[1].finetune.precision == "fp8"
    compare(sc)  # h100-sxm has FP8: accepted
