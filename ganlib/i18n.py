"""The reader's language for the few messages that are part of a lesson (the exercise checks).

The Chinese notebooks run exactly the English code (``ganlib.translation`` copies it), so the
language cannot come from the code: it comes from where the notebook runs. A notebook in
``notebooks/zh/`` runs with that folder as its working directory (Jupyter, papermill and nbval all
start the kernel there), so the language is "zh"; the environment variable ``GANLIB_LANG`` overrides
that. Messages live in one table here, with every language side by side, rather than in a second copy
of the checks.
"""

from __future__ import annotations

import os
import re
import string
from pathlib import Path

LANGUAGE_ENV = "GANLIB_LANG"
LANGUAGES = ("en", "zh")

MESSAGES: dict[str, dict[str, str]] = {
    "not_attempted": {
        "en": "{name}: not attempted yet. Write it in the cell above, run that cell, then this one.",
        "zh": "{name}：尚未作答。请在上面的单元格里写出这个函数，运行它，再运行本单元格。",
    },
    "returned_none": {
        "en": "{name} returned None for case {case}: it should return a value",
        "zh": "{name} 在第 {case} 个用例上返回了 None：它应当返回一个值",
    },
    "wrong_shape": {
        "en": "{name}: case {case} gave shape {got}, expected {expected}",
        "zh": "{name}：第 {case} 个用例得到的形状是 {got}，应为 {expected}",
    },
    "wrong_dtype": {
        "en": "{name}: case {case} has the right values but dtype {got}; expected {expected}",
        "zh": "{name}：第 {case} 个用例的数值正确，但数据类型是 {got}，应为 {expected}",
    },
    "wrong_value": {
        "en": "{name}: case {case} ({inputs}) gave {got}, expected {expected} (largest difference {gap}, "
              "tolerance {atol} + {rtol} x |expected|)",
        "zh": "{name}：第 {case} 个用例（{inputs}）得到 {got}，应为 {expected}（最大差 {gap}，"
              "容差 {atol} + {rtol} × |应为值|）",
    },
    "alpha_none_failed": {
        "en": "{name}: with alpha=None, as exercise 2 calls it, it raised {error}; with alpha None, draw one "
              "uniform weight per sample (tf.random.uniform, shaped to broadcast over a sample)",
        "zh": "{name}：像练习 2 那样以 alpha=None 调用时，它抛出了 {error}；alpha 为 None 时，请为每个样本抽取"
              "一个均匀分布的权重（tf.random.uniform，形状要能在一个样本上广播）",
    },
    "alpha_none_wrong": {
        "en": "{name}: with alpha=None, on a fake batch equal to the real one (so any weights give the same "
              "interpolates), it gave {got}; expected {expected}",
        "zh": "{name}：以 alpha=None 调用、生成批次与真实批次相同（于是无论什么权重，插值点都一样）时，"
              "它得到 {got}；应为 {expected}",
    },
    "not_in_tensorflow": {
        "en": "{name}: the values are right, but inside a tf.function, where exercise 2 trains with it, it "
              "raised {error}; write it in TensorFlow (tf.* operations, no NumPy, no .numpy())",
        "zh": "{name}：数值正确，但在 tf.function 里（练习 2 就在那里用它训练）它抛出了 {error}；"
              "请用 TensorFlow 写（tf.* 运算，不用 NumPy，不调用 .numpy()）",
    },
    "no_weight_gradient": {
        "en": "{name}: the values are right, but the penalty gives no gradient for the critic's weights, so "
              "exercise 2 could not train with it; keep every step in TensorFlow (no NumPy, no tf.stop_gradient)",
        "zh": "{name}：数值正确，但这个惩罚项对评论家的权重没有梯度，练习 2 无法用它训练；"
              "请让每一步都留在 TensorFlow 里（不用 NumPy，不用 tf.stop_gradient）",
    },
    "wrong_weight_gradient": {
        "en": "{name}: the values are right, but the gradient for the critic's weights differs from the "
              "reference's (largest difference {gap}); is a step treated as a constant?",
        "zh": "{name}：数值正确，但对评论家权重的梯度与参考答案不同（最大差 {gap}）；是否有某一步被当成了常数？",
    },
    "correct": {
        "en": "{name}: correct on all {count} cases.",
        "zh": "{name}：全部 {count} 个用例正确。",
    },
}


def language() -> str:
    """``GANLIB_LANG`` if set, else "zh" in a folder named zh (the Chinese notebooks), else "en"."""
    chosen = os.environ.get(LANGUAGE_ENV)
    if chosen is not None:
        if chosen not in LANGUAGES:
            raise ValueError(f"environment variable {LANGUAGE_ENV} is {chosen!r}; allowed: "
                             + ", ".join(repr(code) for code in LANGUAGES))
        return chosen
    return "zh" if Path.cwd().name == "zh" else "en"


def message(key: str, lang: str | None = None, **fields) -> str:
    """The message ``key`` in ``lang`` (default: :func:`language`), with its fields filled in."""
    return MESSAGES[key][lang or language()].format(**fields)


def _pattern(template: str) -> re.Pattern:
    parts = []
    for literal, field, _, _ in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if field is not None:
            parts.append(f"(?P<{field}>.+?)")
    return re.compile("".join(parts) + r"(?=\n|$)")


def translate_output(text: str, lang: str) -> str:
    """Rewrite English check messages in a stored output into ``lang`` (for generated editions)."""
    if lang == "en":
        return text
    for templates in MESSAGES.values():
        text = _pattern(templates["en"]).sub(lambda found: templates[lang].format(**found.groupdict()), text)
    return text
