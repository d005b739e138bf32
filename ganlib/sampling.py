"""Noise, labels and samples for a generator: the one place the course draws them.

A generator takes noise (N, latent_dim), or for a conditional one ``[noise, labels]``. Seeded noise
comes from NumPy's ``default_rng(seed)``, so the same seed gives the same digits in every notebook,
callback and command.
"""

from __future__ import annotations

import numpy as np

from ganlib import course


def seeded_noise(n: int, latent_dim: int, seed: int = 0) -> np.ndarray:
    """``n`` standard normal noise vectors, float32, fixed by ``seed``."""
    return np.random.default_rng(seed).standard_normal((n, latent_dim)).astype(np.float32)


def balanced_labels(n: int, num_classes: int = 10) -> np.ndarray:
    """Digits 0, 1, ..., 9, 0, 1, ...: ``n`` requests, every digit (nearly) equally often."""
    return np.arange(n, dtype=np.int32) % num_classes


def is_conditional(generator) -> bool:
    """Whether a generator takes a digit to draw (two inputs: noise, label)."""
    return len(generator.inputs) == 2


def check_generator(generator, source) -> None:
    """Raise ``ValueError`` unless ``generator`` draws digits: noise (and a digit) in, (28, 28, 1) images out.

    A discriminator saved beside a generator, or the judge, loads as a Keras model just as well; this
    says so before it is sampled. ``source`` names it in the message (a path, say).
    """
    inputs, drawn = generator.inputs, tuple(generator.outputs[0].shape[1:])
    if len(inputs) not in (1, 2) or len(inputs[0].shape) != 2 or drawn != (28, 28, 1):
        raise ValueError(f"{source} is not a digit generator: it should take noise (and a digit) and draw "
                         f"(28, 28, 1) images; it takes {len(inputs)} input(s), the first of shape "
                         f"{tuple(inputs[0].shape[1:])}, and draws {drawn}")


def check_labels(labels, count: int, per: str = "image", num_classes: int = 10) -> None:
    """Raise ``ValueError`` unless ``labels`` holds one whole number 0 to ``num_classes`` - 1 per ``per``
    (``count`` of them): a wrong length or an out-of-range digit would otherwise reach Keras or tf.data
    as a cardinality or embedding-index error."""
    values = np.asarray(labels)
    if values.shape != (count,):
        raise ValueError(f"labels have shape {values.shape}; allowed: one digit per {per}, shape ({count},)")
    if count and (not np.issubdtype(values.dtype, np.number) or np.any(values != np.round(values))
                  or values.min() < 0 or values.max() >= num_classes):
        wrong = (sorted({v for v in values.tolist() if not (isinstance(v, (int, float)) and float(v).is_integer()
                                                            and 0 <= v < num_classes)})
                 if np.issubdtype(values.dtype, np.number) else f"values of type {values.dtype}")
        raise ValueError(f"labels hold {wrong}; allowed: whole numbers 0 to {num_classes - 1}")


def latent_dim_of(generator) -> int:
    return int(generator.inputs[0].shape[-1])


def network_inputs(values, labels=None):
    """What to call a network with: ``values`` (noise for a generator, images for a discriminator),
    or ``[values, labels]`` for a conditional one. Labels given as a list or array become int32;
    tensors (inside a train step) pass as they are."""
    if labels is None:
        return values
    if isinstance(labels, (list, tuple, np.ndarray, np.generic, int)):
        labels = np.asarray(labels, np.int32)
    return [values, labels]


def generator_inputs(noise, labels=None):
    """What to call a generator with: the noise, or ``[noise, labels]`` for a conditional one."""
    return network_inputs(noise, labels)


def sample_generator(generator, n: int, seed: int = 0, labels=None, batch_size: int = 500) -> np.ndarray:
    """N images (float32, clipped to [-1, 1]) from a generator for the noise that ``seed`` fixes;
    ``labels`` for a conditional one (two inputs: noise, digit)."""
    if not course.COUNT.accepts(n):
        raise ValueError(f"n is {n!r}; allowed: {course.COUNT.allowed}")
    for name, value, rule in (("seed", seed, course.RULES["seed"]), ("batch_size", batch_size, course.COUNT)):
        if not rule.accepts(value):   # a seed of None would draw other noise on every call
            raise ValueError(f"{name} is {value!r}; allowed: {rule.allowed}")
    if getattr(generator, "sampler", None) is not None and getattr(generator, "generator", None) is not None:
        raise ValueError("generator is a whole GAN (training.GAN); allowed: one of its networks: gan.sampler "
                         "(the weight average, what the course samples) or gan.generator (the latest weights)")
    check_generator(generator, "generator")
    if is_conditional(generator):
        if labels is None:
            raise ValueError(f"a conditional generator needs one digit 0-9 per image: labels of shape ({n},); "
                             "got none (balanced_labels(n) asks for every digit in turn)")
        check_labels(labels, n)
    elif labels is not None:
        # Keras would drop them with only a warning, and the caller would believe it got those digits.
        raise ValueError("this generator is unconditional (one input, noise): it cannot be asked for digits; "
                         "allowed: labels=None")
    noise = seeded_noise(n, latent_dim_of(generator), seed)
    inputs = generator_inputs(noise, labels)
    parts = inputs if isinstance(inputs, list) else [inputs]
    run = inference_function(generator)
    images = np.concatenate([np.asarray(run(*(part[start:start + batch_size] for part in parts)))
                             for start in range(0, n, batch_size)])
    return np.clip(images.astype(np.float32), -1.0, 1.0)


def inference_function(network):
    """``network`` in inference mode as one traced graph with an open batch dimension, kept on the network.

    What keras' ``predict`` runs (XLA where predict would use it: on a CPU, never), traced once per
    network as predict's is, without the tf.data pipeline predict builds on every call: about 0.1 s of
    each call on 2 cores (a 500-image judgement by ganlib.judge, a sample of 1,000), with the same
    outputs bit for bit (tests/test_sampling.py and tests/test_judge.py compare them).
    """
    function = getattr(network, "_ganlib_inference_function", None)
    if function is None:
        import tensorflow as tf

        signature = [tf.TensorSpec((None, *tensor.shape[1:]), tensor.dtype) for tensor in network.inputs]
        function = tf.function(lambda *inputs: network(list(inputs) if len(inputs) > 1 else inputs[0], training=False),
                               jit_compile=bool(getattr(network, "jit_compile", False)), input_signature=signature)
        network._ganlib_inference_function = function
    return function
