"""phrases.Message: the engine's sentences are plain English text to every reader (JSON, comparisons,
prefixes) and keep their key and values, so the renderers phrase the same facts in Chinese."""

from __future__ import annotations

import json
import pickle
import re
import string

from buildorbuy.phrases import MESSAGES_EN, And, Message
from buildorbuy.render.i18n import EN, ZH, message


def test_a_message_is_its_english_text():
    m = Message("last_term", path="Tuned", term=12, horizon=36)
    assert m == ("Tuned: the last 12-month reservation term runs past the 36-month horizon; "
                 "months after the horizon are not counted")
    assert isinstance(m, str) and json.dumps([m]) == json.dumps([str(m)]) and m.startswith("Tuned: ")
    assert list(dict.fromkeys([m, str(m)])) == [m]  # deduplicated like the text
    assert message(m, "en") is m


def test_nested_values_and_lists_are_phrased_in_chinese():
    m = Message("owned_left_out", path="Own", fields=["serving.a", "serving.b"],
                defaults_to=Message("they_default_to"), defaults=And([Message("default_maintenance"), Message("default_power")]),
                autos=[Message("auto_maintenance", pct="10"), Message("auto_power", share="0.7")])
    assert "they default to 0 (no maintenance) and 1 (draw at full TDP)" in m
    assert "(10% of the purchase a year, 0.7 of TDP)" in m
    zh = message(m, "zh")
    assert zh == ("Own：自有集群未填写 serving.a，serving.b：其默认值分别为 0（不含维护）、1（按满额 TDP 耗电）；"
                  "写 auto 使用目录中有来源的数值（每年为采购价的 10%，TDP 的 0.7），或填写你自己的数值")


def test_messages_survive_pickling_with_their_key():
    m = Message("path", path="P", text=Message("latency_unmet", gpu="l4"))
    back = pickle.loads(pickle.dumps(m))
    assert back == m and back.key == "path" and message(back, "zh") == "P：即使批大小为 1，l4 也达不到延迟目标：估算按最快副本、批大小 1 计算"


def test_text_that_is_no_message_is_shown_as_it_is():
    assert message("something the engine did not phrase", "zh") == "something the engine did not phrase"


def test_every_message_has_a_chinese_phrasing_with_the_same_placeholders():
    fields = lambda text: sorted({f for _, f, _, _ in string.Formatter().parse(text) if f})
    for key, text in MESSAGES_EN.items():
        assert EN[f"msg.{key}"] == text
        zh = ZH.get(f"msg.{key}")
        assert zh is not None, key
        assert fields(zh) == fields(text), key
        words = re.sub(r"\{[^}]*\}", "", zh)
        assert re.search(r"[\u4e00-\u9fff]", words) or not re.search(r"[a-z]{3,}", words.replace("auto", "")), key
