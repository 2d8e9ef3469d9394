import pytest

from buildorbuy.catalog.models import ModelSpec, get_model, list_models
from buildorbuy.errors import CatalogError


@pytest.mark.parametrize(
    "name, ident, total, active",
    [
        ("llama-2-70b", "llama-2-70b", 69.0e9, 69.0e9),
        ("Llama-3.1-405B-Instruct", "llama-3.1-405b", 405.9e9, 405.9e9),
        ("Qwen2.5-14B-Instruct", "qwen2.5-14b", 14.7e9, 14.7e9),
        ("qwen3-30b-a3b", "qwen3-30b-a3b", 30.5e9, 3.3e9),
        ("Qwen3-235B-A22B", "qwen3-235b-a22b", 235e9, 22e9),
        ("DeepSeek-V3", "deepseek-v3", 671e9, 37e9),
        ("deepseek-r1", "deepseek-r1", 671e9, 37e9),
        ("mixtral-8x7b", "mixtral-8x7b", 46.7e9, 12.9e9),
        ("Mistral 7B", "mistral-7b", 7.24e9, 7.24e9),
        ("gemma-2-9b-it", "gemma-2-9b", 9.24e9, 9.24e9),
    ],
)
def test_lookup(name, ident, total, active):
    m = get_model(name)
    assert (m.id, m.params_total, m.params_active) == (ident, total, active)
    assert m.params == m.params_total


def test_required_families_present():
    ids = {m.id for m in list_models()}
    for required in [
        "llama-2-7b", "llama-2-13b", "llama-3-8b", "llama-3.1-8b", "llama-3.1-70b", "llama-3.2-1b", "llama-3.2-3b",
        "llama-3.3-70b", "qwen2.5-0.5b", "qwen2.5-72b", "deepseek-r1-distill-qwen-32b", "deepseek-r1-distill-llama-70b",
        "mixtral-8x22b", "glm-4-9b", "yi-34b", "gemma-2-27b",
    ]:
        assert required in ids


def test_every_model_is_consistent():
    for m in list_models():
        assert isinstance(m, ModelSpec)
        assert 0 < m.params_active <= m.params_total
        assert m.kv_elements_per_token > 0 and m.context_length > 0 and m.license and m.source
        assert m.is_moe == (m.params_active < m.params_total)


def test_kv_elements_from_attention_shape():
    m = get_model("llama-3.1-8b")
    assert m.kv_elements_per_token == 2 * 32 * 8 * 128
    assert get_model("deepseek-v3").kv_elements_per_token == 61 * (512 + 64)


def test_unknown_model_suggests():
    with pytest.raises(CatalogError) as info:
        get_model("llama-3.1-7b")
    assert "did you mean" in info.value.message and "llama-3.1-70b" in info.value.message
    assert "buildorbuy catalog models" in info.value.message
