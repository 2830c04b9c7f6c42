"""Attention and MultiHeadAttention: self and cross attention, scaling and score modes, causal masks, padding
masks, attention scores, and a small transformer block."""
import numpy as np

from keras_session import Case, train_and_report

from .data import targets


def _pair(rng):
    q = rng.normal(size=(32, 4, 3)).astype("float32")
    v = rng.normal(size=(32, 6, 3)).astype("float32")
    return {"q": q, "v": v, "y": targets("binary:1", q.mean(axis=1) + v.mean(axis=1), rng)}


def _padded(rng):
    d = _pair(rng)
    lengths = rng.integers(2, 7, size=32)
    keep = np.arange(6)[None, :] < lengths[:, None]
    d["v"] = np.where(keep[..., None], d["v"], 0.0).astype("float32")
    return d


def _case(name, body, data=_pair, two_inputs=True):
    """``body(kl, q, v) -> (batch, k) tensor``; the case adds Dense(1, sigmoid) and trains two epochs."""
    def program(s):
        kl = s.kl
        q, v = kl.Input((4, 3), name="q"), kl.Input((6, 3), name="v")
        inputs = [q, v] if two_inputs else [v]
        model = kl.Model(inputs, kl.layers.Dense(1, activation="sigmoid")(body(kl, q, v)))
        model.compile(optimizer=kl.optimizers.SGD(0.1), loss="binary_crossentropy", metrics=["accuracy"])
        x = [s.d["q"], s.d["v"]] if two_inputs else s.d["v"]
        train_and_report(s, model, x, s.d["y"])

    return Case(f"attention/{name}", program, data)


def _pool(kl, h):
    return kl.layers.GlobalAveragePooling1D()(h)


def _transformer(kl, q, v):
    h = kl.layers.Dense(4)(v)
    attended = kl.layers.MultiHeadAttention(num_heads=2, key_dim=2)(h, h)
    h = kl.layers.LayerNormalization()(kl.layers.Add()([h, attended]))
    ffn = kl.layers.Dense(4)(kl.layers.Dense(8, activation="relu")(h))
    h = kl.layers.LayerNormalization()(kl.layers.Add()([h, ffn]))
    return _pool(kl, h)


def _attention_scores(kl, q, v):
    out, scores = kl.layers.Attention()([q, v], return_attention_scores=True)
    return kl.layers.Concatenate()([_pool(kl, out), kl.layers.Flatten()(scores)])


CASES = [
    _case("Attention/dot", lambda kl, q, v: _pool(kl, kl.layers.Attention()([q, v]))),
    _case("Attention/query_value_key", lambda kl, q, v: _pool(kl, kl.layers.Attention()([q, v, kl.layers.Dense(3)(v)]))),
    _case("Attention/use_scale", lambda kl, q, v: _pool(kl, kl.layers.Attention(use_scale=True)([q, v]))),
    _case("Attention/concat", lambda kl, q, v: _pool(kl, kl.layers.Attention(score_mode="concat")([q, v]))),
    _case("Attention/causal_self", lambda kl, q, v: _pool(kl, kl.layers.Attention()([v, v], use_causal_mask=True)),
          two_inputs=False),
    _case("Attention/masked_value", lambda kl, q, v: _pool(kl, kl.layers.Attention()(
        [q, kl.layers.Masking(0.0)(v)])), data=_padded),
    _case("Attention/scores", _attention_scores),
    _case("MultiHeadAttention/self", lambda kl, q, v: _pool(kl, kl.layers.MultiHeadAttention(2, 3)(v, v)),
          two_inputs=False),
    _case("MultiHeadAttention/cross", lambda kl, q, v: _pool(kl, kl.layers.MultiHeadAttention(2, 2)(q, v))),
    _case("MultiHeadAttention/output_shape", lambda kl, q, v: _pool(kl, kl.layers.MultiHeadAttention(
        3, key_dim=2, output_shape=5)(q, v))),   # (value_dim != key_dim fails in Keras 3.15 on JAX)
    _case("MultiHeadAttention/causal", lambda kl, q, v: _pool(kl, kl.layers.MultiHeadAttention(2, 2)(
        v, v, use_causal_mask=True)), two_inputs=False),
    _case("MultiHeadAttention/masked_value", lambda kl, q, v: _pool(kl, kl.layers.MultiHeadAttention(2, 2)(
        q, kl.layers.Masking(0.0)(v))), data=_padded),
    _case("MultiHeadAttention/masked_self", lambda kl, q, v: _pool(kl, kl.layers.MultiHeadAttention(2, 2)(
        kl.layers.Masking(0.0)(v), kl.layers.Masking(0.0)(v))), data=_padded, two_inputs=False),
    _case("transformer_block", _transformer, two_inputs=False),
]
