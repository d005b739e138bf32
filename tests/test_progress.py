"""The compact progress display: one line per run, rewritten in place."""

from ganlib import data, progress, recipes, training


def test_one_line_rewritten_per_chunk_and_ended_once(capsys):
    digits = data.load_digits(verbose=False)
    gan = recipes.build("mlp", jit_compile=False)
    line = progress.ProgressLine("MLP", keys=["d_loss", "g_loss"])
    training.train(gan, digits.images[:640], steps=20, batch_size=64, snapshots=4, verbose=0, callbacks=[line])
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.endswith("\n")
    frames = out.rstrip("\n").split("\r")[1:]
    assert len(frames) == 1 + 4 + 1          # the start, one per chunk, the end
    assert frames[0].startswith("MLP: step 0 of 20")
    assert frames[-1].startswith("MLP: step 20 of 20") and "d_loss" in frames[-1] and "d_real" not in frames[-1]


def test_format_values_keeps_the_requested_order():
    assert progress.format_values({"a": 1.23456, "b": 2.0}, keys=["b", "a", "missing"]) == "b 2, a 1.23"
