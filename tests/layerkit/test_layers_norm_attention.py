"""BatchNormalization, LayerNormalization, Attention and MultiHeadAttention against NumPy references, with the
table checker of test_layers_core, plus training-mode statistics, moving-average updates and masks."""
import numpy as np
import pytest

import layerkit_backend as lb
import layerkit_backend.tensor as T
from layerkit.layers import attention, normalization as norm
from layerkit.layers.base import CallContext
from test_layers_core import Case, _softmax, check_case


def bn_inference_ref(axis):
    def ref(x, w):
        gamma, beta, mean, var = w
        shape = [1] * x.ndim
        shape[axis] = -1
        r = lambda v: v.reshape(shape)  # noqa: E731
        return (x - r(mean)) / np.sqrt(r(var) + 1e-3) * r(gamma) + r(beta)
    return ref


def ln_ref(axes, epsilon=1e-3):
    def ref(x, w):
        mean = x.mean(axes, keepdims=True)
        var = ((x - mean) ** 2).mean(axes, keepdims=True)
        shape = [x.shape[a] if a in axes else 1 for a in range(x.ndim)]
        return (x - mean) / np.sqrt(var + epsilon) * w[0].reshape(shape) + w[1].reshape(shape)
    return ref


def attention_ref(scale=False, concat=False):
    def ref(xs, w):
        q, v = xs[0], xs[1]
        k = xs[2] if len(xs) > 2 else v
        if concat:
            s = w[0] if scale else 1.0
            scores = w[-1] * np.tanh(s * (q[:, :, None, :] + k[:, None, :, :])).sum(-1)
        else:
            scores = q @ k.transpose(0, 2, 1) * (w[0] if scale else 1.0)
        return _softmax(scores) @ v
    return ref


def mha_ref(key_dim):
    def ref(xs, w):
        q, v = xs[0], xs[1]
        k = xs[2] if len(xs) > 2 else v
        wq, bq, wk, bk, wv, bv, wo, bo = w
        qh = (np.einsum("btd,dhk->bthk", q, wq) + bq) / np.sqrt(key_dim)
        kh = np.einsum("bsd,dhk->bshk", k, wk) + bk
        vh = np.einsum("bsd,dhk->bshk", v, wv) + bv
        weights = _softmax(np.einsum("bthk,bshk->bhts", qh, kh))
        context = np.einsum("bhts,bshv->bthv", weights, vh)
        return np.einsum("bthv,hvo->bto", context, wo) + bo
    return ref


CASES = [
    Case(norm.BatchNormalization, {}, (3, 2), (None, 2), [(2,)] * 4, bn_inference_ref(-1), True),
    Case(norm.BatchNormalization, dict(axis=1), (2, 3, 1, 2), (None, 3, 1, 2), [(3,)] * 4, bn_inference_ref(1)),
    Case(norm.LayerNormalization, {}, (2, 3, 4), (None, 3, 4), [(4,), (4,)], ln_ref((2,)), True),
    Case(norm.LayerNormalization, dict(axis=[1, 2], epsilon=1e-5), (2, 3, 2), (None, 3, 2), [(3, 2), (3, 2)],
         ln_ref((1, 2), 1e-5)),
    Case(attention.Attention, {}, [(2, 3, 4), (2, 5, 4)], (None, 3, 4), [], attention_ref(), True),
    Case(attention.Attention, dict(use_scale=True), [(2, 1, 2), (2, 3, 2), (2, 3, 2)], (None, 1, 2), [()],
         attention_ref(scale=True), True),
    Case(attention.Attention, dict(use_scale=True, score_mode="concat"), [(2, 2, 3), (2, 4, 3)], (None, 2, 3),
         [(), ()], attention_ref(scale=True, concat=True), True),
    Case(attention.MultiHeadAttention, dict(num_heads=2, key_dim=3), [(2, 3, 4), (2, 5, 4)], (None, 3, 4),
         [(4, 2, 3), (2, 3), (4, 2, 3), (2, 3), (4, 2, 3), (2, 3), (2, 3, 4), (4,)], mha_ref(3), True),
    Case(attention.MultiHeadAttention, dict(num_heads=1, key_dim=2, value_dim=3, output_shape=5),
         [(1, 2, 3), (1, 4, 2), (1, 4, 3)], (None, 2, 5),
         [(3, 1, 2), (1, 2), (3, 1, 2), (1, 2), (2, 1, 3), (1, 3), (1, 3, 5), (5,)], mha_ref(2)),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.layer.__name__}-{i}" for i, c in enumerate(CASES)])
def test_layer_case(case):
    check_case(case)


def test_batch_normalization_training_uses_batch_statistics_and_updates_moving_averages():
    x = T.tensor("float32", shape=(None, 2, 3))
    layer = norm.BatchNormalization(momentum=0.9, center=False)
    with CallContext() as ctx:
        out = layer(x, training=True)
    assert [w.name.split("/")[-1] for w in layer.non_trainable_weights] == ["moving_mean", "moving_variance"]
    assert len(ctx.updates) == 2
    data = np.random.default_rng(1).standard_normal((4, 2, 3)).astype("float32") * 3 + 1
    got = lb.function([x], out, updates=ctx.updates)(data)
    mean, var = data.mean((0, 1)), data.var((0, 1))
    np.testing.assert_allclose(got, (data - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(layer.moving_mean.get_value(), 0.1 * mean, rtol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.get_value(), 0.9 + 0.1 * var, rtol=1e-5)
    layer.trainable = False
    assert [w.name.split("/")[-1] for w in layer.weights] == ["gamma", "moving_mean", "moving_variance"]


def test_attention_masks():
    q, v = T.tensor("float32", shape=(None, 2, 3)), T.tensor("float32", shape=(None, 4, 3))
    qm, vm = T.tensor("bool", shape=(None, 2)), T.tensor("bool", shape=(None, 4))
    layer = attention.Attention()
    out, scores = layer([q, v], mask=[qm, vm], return_attention_scores=True)
    assert out._keras_mask is qm or out._keras_mask is not None
    rng = np.random.default_rng(0)
    dq, dv = rng.standard_normal((1, 2, 3)).astype("float32"), rng.standard_normal((1, 4, 3)).astype("float32")
    got, weights = lb.function([q, v, qm, vm], [out, scores])(dq, dv, [[True, False]], [[True, True, False, True]])
    expect = _softmax(np.where([True, True, False, True], dq @ dv.transpose(0, 2, 1), -np.inf))
    np.testing.assert_allclose(weights, expect, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[0, 0], (expect @ dv)[0, 0], rtol=1e-5)
    np.testing.assert_array_equal(got[0, 1], 0)
    causal = attention.Attention()([q, q], use_causal_mask=True, return_attention_scores=True)[1]
    np.testing.assert_array_equal(np.triu(lb.function([q], causal)(dq)[0], 1), 0)


def test_multi_head_attention_mask_and_scores():
    q, v = T.tensor("float32", shape=(None, 2, 3)), T.tensor("float32", shape=(None, 3, 3))
    allowed = T.tensor("bool", shape=(None, 2, 3))
    layer = attention.MultiHeadAttention(num_heads=2, key_dim=2, dropout=0.5, seed=2)
    out, scores = layer(q, v, attention_mask=allowed, return_attention_scores=True)
    assert out.type.shape == (None, 2, 3) and scores.type.shape == (None, 2, 2, 3)
    rng = np.random.default_rng(0)
    mask = np.array([[[True, False, True], [False, False, True]]])
    got = lb.function([q, v, allowed], scores)(rng.standard_normal((1, 2, 3)).astype("float32"),
                                                rng.standard_normal((1, 3, 3)).astype("float32"), mask)
    np.testing.assert_array_equal(got[:, :, ~mask[0]], 0)
    np.testing.assert_allclose(got.sum(-1), 1, rtol=1e-5)
    config = layer.get_config()
    assert config["num_heads"] == 2 and config["value_dim"] == 2 and config["attention_axes"] is None
    with pytest.raises(ValueError, match="attention_axes"):
        attention.MultiHeadAttention(2, 2, attention_axes=(1, 2))


@pytest.mark.parametrize("make, shape, message", [
    (lambda: norm.BatchNormalization(), (None, 3, None), "known sizes"),
    (lambda: norm.LayerNormalization(axis=3), (None, 3, 2), "out of range"),
])
def test_clear_errors(make, shape, message):
    layer = make()
    with pytest.raises(ValueError, match=message) as info:
        layer(T.tensor("float32", shape=shape))
    assert layer.name in str(info.value)


def test_multi_head_attention_uses_input_masks_when_called_positionally():
    from layerkit.layers.embedding import Embedding
    ids = T.tensor("int64", shape=(None, 4))
    embedded = Embedding(6, 4, mask_zero=True)(ids)
    layer = attention.MultiHeadAttention(num_heads=1, key_dim=2)
    out, scores = layer(embedded, embedded, return_attention_scores=True)
    assert out._keras_mask is not None and len(layer._inbound_nodes[-1].input_tensors) == 2
    got = lb.function([ids], scores)(np.array([[3, 1, 0, 2]]))
    np.testing.assert_array_equal(got[0, 0, [0, 1, 3], 2], 0)   # the padded value step gets no attention
    np.testing.assert_allclose(got[0, 0, 2], 0.25)                # a fully masked query row is uniform, as Keras


def test_multi_head_attention_config_builds_weights_like_keras2():
    layer = attention.MultiHeadAttention(num_heads=2, key_dim=3)
    layer(T.tensor("float32", shape=(None, 4, 5)), T.tensor("float32", shape=(None, 6, 7)))
    config = layer.get_config()
    assert config["query_shape"] == [None, 4, 5] and config["value_shape"] == [None, 6, 7]
    clone = attention.MultiHeadAttention.from_config(dict(config, name="mha_clone"))
    assert [w.get_value().shape for w in clone.weights] == [w.get_value().shape for w in layer.weights]
    assert clone.weights[4].name == "mha_clone/value/kernel"
