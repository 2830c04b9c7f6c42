"""Data makers for the cases: each takes a NumPy ``Generator`` and returns a dict of float32/int arrays.

The recording stores what they return, so a case replays Keras's exact inputs; nothing here is re-run on replay.
"""
import numpy as np

__all__ = ["features", "sequences", "targets", "TARGETS"]

N, F, T, K = 48, 4, 5, 3   # samples, features, time steps, classes


def features(rng, n=N, f=F):
    return rng.normal(size=(n, f)).astype("float32")


def sequences(rng, n=N, t=T, f=3):
    return rng.normal(size=(n, t, f)).astype("float32")


def _signal(x, column=0):
    """A learnable score per sample (and per step for sequences): a fixed projection of the inputs."""
    w = np.roll(np.linspace(-1.0, 1.0, x.shape[-1]), column).astype("float32")
    return x @ w


def _values(family, score, rng, classes):
    if family == "real":
        return score + 0.1 * rng.normal(size=score.shape)
    if family == "positive":
        return 1.0 + np.abs(score) + 0.1 * rng.uniform(size=score.shape)
    if family == "count":
        return rng.poisson(np.exp(np.clip(score, -2, 1.5))).astype("float32")
    if family == "binary":
        return (score + 0.3 * rng.normal(size=score.shape) > 0).astype("float32")
    if family == "signed":
        return np.where(score + 0.3 * rng.normal(size=score.shape) > 0, 1.0, -1.0)
    if family == "prob":
        return 1.0 / (1.0 + np.exp(-score))
    if family == "label":
        edges = np.quantile(score, np.linspace(0, 1, classes + 1)[1:-1])
        return np.searchsorted(edges, score)
    raise ValueError(f"targets: unknown kind {family!r}")


def targets(kind, x, rng, classes=K):
    """Targets of ``kind`` ('family' or 'family:width') for inputs ``x`` ((n, f) or (n, t, f)). Width '' gives
    one value per sample (or step) without a trailing axis, '1' a trailing axis of 1, 'k' ``classes`` columns.
    Families: real, positive, count, binary, signed (-1/1), prob, label (int32), onehot and dist (rows summing
    to 1, always ``classes`` wide)."""
    family, _, width = kind.partition(":")
    if family in ("onehot", "dist"):
        if family == "onehot":
            return np.eye(classes, dtype="float32")[_values("label", _signal(x), rng, classes)]
        logits = np.stack([_signal(x, c) for c in range(classes)], axis=-1)
        e = np.exp(logits - logits.max(-1, keepdims=True))
        return (e / e.sum(-1, keepdims=True)).astype("float32")
    if width == "k":
        value = np.stack([_values(family, _signal(x, c), rng, classes) for c in range(classes)], axis=-1)
    else:
        value = _values(family, _signal(x), rng, classes)
        value = value[..., None] if width == "1" else value
    return value.astype("int32" if family == "label" else "float32")


TARGETS = ("real", "positive", "count", "binary", "signed", "prob", "label", "onehot", "dist")
