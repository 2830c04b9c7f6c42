"""Core, embedding, merge and advanced-activation layers: one table of cases, one checker (`check_case`).

A row gives the layer class, its arguments, the input shape(s) (batch first; the placeholder's batch is None), the
expected static output shape, the expected weight shapes, a NumPy reference `ref(inputs, weights)` and whether to
check gradients. The checker builds and calls the layer, compares the static shape, the compiled value on random
data, the weight shapes, a JSON config round trip (same output with the same weights), and finite differences of a
float64 copy of the layer (inputs and weights). tests/layerkit/test_layers_conv.py and test_layers_norm_attention.py
reuse it.
"""
import collections
import json

import numpy as np
import pytest

import layerkit_backend as lb
import layerkit_backend.tensor as T
from layerkit.layers import core, embedding, merge, advanced_activations as adv
from layerkit.safe_mode import safe_mode_scope
from layerkit.saving import custom_object_scope

Case = collections.namedtuple("Case", "layer kwargs shapes expected weights ref grad int_high",
                              defaults=(None, None, False, None))


def _is_multi(shapes):
    return isinstance(shapes, list)


def _placeholders(shapes, dtype, int_high):
    kind = "int64" if int_high else dtype
    if _is_multi(shapes):
        return [T.tensor(kind, shape=(None,) + tuple(s[1:]), name=f"x{i}") for i, s in enumerate(shapes)]
    return T.tensor(kind, shape=(None,) + tuple(shapes[1:]), name="x")


def _data(shapes, dtype, int_high, rng):
    def one(shape):
        if int_high:
            return rng.integers(0, int_high, size=shape).astype("int64")
        return rng.standard_normal(shape).astype(dtype)
    return [one(s) for s in shapes] if _is_multi(shapes) else one(shapes)


def _flat(x):
    return x if isinstance(x, list) else [x]


def _build(case, dtype="float32"):
    kwargs = dict(case.kwargs)
    if dtype != "float32":
        kwargs["dtype"] = dtype
    layer = case.layer(**kwargs)
    inputs = _placeholders(case.shapes, dtype, case.int_high)
    return layer, inputs, layer(inputs)


def _randomize(layer, rng):
    """Non-trivial weights (biases and slopes would otherwise start at 0 and hide errors)."""
    values = [rng.uniform(0.5, 1.5, w.shape).astype(w.dtype) * rng.choice([-1, 1], w.shape).astype(w.dtype)
              if "variance" not in name else rng.uniform(0.5, 1.5, w.shape).astype(w.dtype)
              for w, name in zip(layer.get_weights(), [v.name for v in layer.weights])]
    layer.set_weights(values)


def check_case(case, seed=0):
    rng = np.random.default_rng(seed)
    layer, inputs, out = _build(case)
    assert tuple(out.type.shape) == tuple(case.expected), (out.type.shape, case.expected)
    assert [w.get_value().shape for w in layer.weights] == [tuple(s) for s in (case.weights or [])]
    _randomize(layer, rng)
    data = _data(case.shapes, "float32", case.int_high, rng)
    got = lb.function(_flat(inputs), out)(*_flat(data))
    want = case.ref(data, layer.get_weights())
    np.testing.assert_allclose(got, want, rtol=2e-4, atol=2e-5)
    # config round trip through JSON: same output with the same weights
    config = json.loads(json.dumps(layer.get_config()))
    with custom_object_scope({"sqr_function": sqr_function}):   # the Lambda row's function, given by the user
        clone = type(layer).from_config(config)
    clone_out = clone(_placeholders(case.shapes, "float32", case.int_high))
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(lb.function(_flat(clone._inbound_nodes[-1].inputs), clone_out)(*_flat(data)),
                               got, rtol=1e-6, atol=1e-6)
    if case.grad:
        check_gradients(case, rng)


def check_gradients(case, rng, eps=1e-6, count=3):
    """Finite differences of sum(output * R) for a float64 copy of the layer, w.r.t. inputs and weights."""
    layer, inputs, out = _build(case, "float64")
    _randomize(layer, rng)
    data = _data(case.shapes, "float64", case.int_high, rng)
    projection = rng.standard_normal(lb.function(_flat(inputs), out)(*_flat(data)).shape)
    cost = T.sum(out * projection)
    differentiable = [] if case.int_high else _flat(inputs)
    grads = lb.grad(cost, differentiable + layer.trainable_weights)
    f_cost = lb.function(_flat(inputs), cost)
    f_grads = lb.function(_flat(inputs), grads)(*_flat(data))
    arrays = ([] if case.int_high else _flat(data)) + [w.get_value() for w in layer.trainable_weights]
    for k, (array, g) in enumerate(zip(arrays, f_grads)):
        weight = None if k < len(differentiable) else layer.trainable_weights[k - len(differentiable)]
        for _ in range(count):
            index = tuple(int(rng.integers(0, n)) for n in array.shape)
            values = []
            for delta in (eps, -eps):
                array[index] += delta
                if weight is not None:
                    weight.set_value(array)
                values.append(f_cost(*_flat(data)))
                array[index] -= delta
            if weight is not None:
                weight.set_value(array)
            numeric = (values[0] - values[1]) / (2 * eps)
            assert abs(numeric - g[index]) <= 1e-5 + 1e-4 * abs(numeric), (k, index, numeric, g[index])


# ------------------------------------------------------------------------------------------- references
def _dense(x, w):
    return x @ w[0] + w[1]


def _leaky(alpha):
    return lambda x, w: np.where(x >= 0, x, alpha * x)


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _np_dot(xs, axes, normalize=False):
    x, y = xs
    ax, ay = axes
    if normalize:
        x = x / np.sqrt(np.maximum((x ** 2).sum(ax, keepdims=True), 1e-12))
        y = y / np.sqrt(np.maximum((y ** 2).sum(ay, keepdims=True), 1e-12))
    out = np.stack([np.tensordot(x[i], y[i], axes=[[ax - 1], [ay - 1]]) for i in range(len(x))])
    return out[:, None] if out.ndim == 1 else out


def sqr_function(x):
    """A module-level function: Lambda saves it by reference."""
    return x * x


CASES = [
    Case(core.Dense, dict(units=3), (2, 4), (None, 3), [(4, 3), (3,)], _dense, True),
    Case(core.Dense, dict(units=1, activation="tanh"), (2, 1, 5), (None, 1, 1), [(5, 1), (1,)],
         lambda x, w: np.tanh(_dense(x, w)), True),
    Case(core.Dense, dict(units=2, use_bias=False), (3, 2, 1, 3), (None, 2, 1, 2), [(3, 2)],
         lambda x, w: x @ w[0], True),
    Case(core.Activation, dict(activation="relu"), (2, 3), (None, 3), [], lambda x, w: np.maximum(x, 0)),
    Case(core.Dropout, dict(rate=0.5, seed=1), (2, 3), (None, 3), [], lambda x, w: x),
    Case(core.Flatten, {}, (2, 3, 1, 2), (None, 6), [], lambda x, w: x.reshape(len(x), -1)),
    Case(core.Flatten, dict(data_format="channels_first"), (2, 3, 2), (None, 6), [],
         lambda x, w: x.transpose(0, 2, 1).reshape(len(x), -1)),
    Case(core.Reshape, dict(target_shape=(-1, 2)), (2, 6), (None, 3, 2), [], lambda x, w: x.reshape(2, 3, 2)),
    Case(core.Reshape, dict(target_shape=(1, 4)), (1, 2, 2), (None, 1, 4), [], lambda x, w: x.reshape(1, 1, 4)),
    Case(core.Permute, dict(dims=(2, 3, 1)), (2, 3, 1, 4), (None, 1, 4, 3), [],
         lambda x, w: x.transpose(0, 2, 3, 1)),
    Case(core.RepeatVector, dict(n=3), (2, 4), (None, 3, 4), [], lambda x, w: np.repeat(x[:, None], 3, 1)),
    Case(core.Lambda, dict(function=sqr_function), (2, 3), (None, 3), [], lambda x, w: x * x),
    Case(core.Masking, dict(mask_value=0.0), (2, 3, 2), (None, 3, 2), [], lambda x, w: x),
    Case(core.Identity, {}, (1, 3), (None, 3), [], lambda x, w: x),
    Case(embedding.Embedding, dict(input_dim=5, output_dim=3), (2, 4), (None, 4, 3), [(5, 3)],
         lambda x, w: w[0][x], True, 5),
    Case(merge.Add, {}, [(2, 3), (2, 3), (2, 3)], (None, 3), [], lambda xs, w: xs[0] + xs[1] + xs[2]),
    Case(merge.Subtract, {}, [(2, 1, 3), (2, 1, 3)], (None, 1, 3), [], lambda xs, w: xs[0] - xs[1]),
    Case(merge.Multiply, {}, [(2, 3), (2, 3)], (None, 3), [], lambda xs, w: xs[0] * xs[1]),
    Case(merge.Average, {}, [(2, 3), (2, 3)], (None, 3), [], lambda xs, w: (xs[0] + xs[1]) / 2),
    Case(merge.Maximum, {}, [(2, 3), (2, 3)], (None, 3), [], lambda xs, w: np.maximum(xs[0], xs[1])),
    Case(merge.Minimum, {}, [(2, 3), (2, 3)], (None, 3), [], lambda xs, w: np.minimum(xs[0], xs[1])),
    Case(merge.Concatenate, {}, [(2, 2), (2, 3)], (None, 5), [], lambda xs, w: np.concatenate(xs, -1)),
    Case(merge.Concatenate, dict(axis=1), [(2, 1, 3), (2, 2, 3)], (None, 3, 3), [],
         lambda xs, w: np.concatenate(xs, 1)),
    Case(merge.Dot, dict(axes=1), [(2, 4), (2, 4)], (None, 1), [], lambda xs, w: _np_dot(xs, (1, 1))),
    Case(merge.Dot, dict(axes=2), [(2, 3, 4), (2, 1, 4)], (None, 3, 1), [], lambda xs, w: _np_dot(xs, (2, 2))),
    Case(merge.Dot, dict(axes=(1, 2), normalize=True), [(2, 3, 4), (2, 5, 3)], (None, 4, 5), [],
         lambda xs, w: _np_dot(xs, (1, 2), True)),
    Case(merge.Dot, dict(axes=(1, 1)), [(2, 3), (2, 3, 2)], (None, 2), [], lambda xs, w: _np_dot(xs, (1, 1))),
    Case(adv.LeakyReLU, dict(alpha=0.1), (2, 3), (None, 3), [], _leaky(0.1)),
    Case(adv.LeakyReLU, {}, (2, 3), (None, 3), [], _leaky(0.3)),
    Case(adv.PReLU, {}, (2, 3, 2), (None, 3, 2), [(3, 2)], lambda x, w: np.where(x >= 0, x, w[0] * x), True),
    Case(adv.PReLU, dict(shared_axes=[1]), (2, 3, 2), (None, 3, 2), [(1, 2)],
         lambda x, w: np.where(x >= 0, x, w[0] * x), True),
    Case(adv.ELU, dict(alpha=0.5), (2, 3), (None, 3), [], lambda x, w: np.where(x > 0, x, 0.5 * np.expm1(x))),
    Case(adv.ReLU, dict(max_value=0.8, negative_slope=0.1, threshold=0.2), (2, 5), (None, 5), [],
         lambda x, w: np.where(x >= 0.2, np.minimum(x, 0.8), 0.1 * (x - 0.2))),
    Case(adv.Softmax, dict(axis=1), (2, 3, 2), (None, 3, 2), [], lambda x, w: _softmax(x, 1)),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.layer.__name__}-{i}" for i, c in enumerate(CASES)])
def test_layer_case(case):
    check_case(case)


# ------------------------------------------------------------------------------------------- behaviour beyond the table
def test_dropout_only_in_training():
    x = T.tensor("float32", shape=(None, 200))
    layer = core.Dropout(0.5, seed=3)
    train, test = layer(x, training=True), layer(x, training=False)
    data = np.ones((4, 200), "float32")
    out = lb.function([x], train)(data)
    assert set(np.unique(out)) <= {0.0, 2.0} and 0.3 < (out == 0).mean() < 0.7
    np.testing.assert_array_equal(lb.function([x], test)(data), data)
    shared = core.Dropout(0.5, noise_shape=(None, 1), seed=4)(x, training=True)
    rows = lb.function([x], shared)(data)
    assert all(len(np.unique(r)) == 1 for r in rows)


def test_masks_from_masking_embedding_and_merges():
    x = T.tensor("float32", shape=(None, 3, 2))
    masked = core.Masking()(x)
    data = np.array([[[1, 2], [0, 0], [3, 0]]], "float32")
    np.testing.assert_array_equal(lb.function([x], masked._keras_mask)(data), [[True, False, True]])
    ids = T.tensor("int64", shape=(None, 3))
    emb = embedding.Embedding(4, 2, mask_zero=True)(ids)
    both = merge.Add()([masked, emb])
    cat = merge.Concatenate(axis=1)([masked, x])
    f = lb.function([x, ids], [both._keras_mask, cat._keras_mask])
    m_add, m_cat = f(data, np.array([[1, 1, 0]]))
    np.testing.assert_array_equal(m_add, [[True, False, False]])
    np.testing.assert_array_equal(m_cat, [[True, False, True, True, True, True]])
    assert core.Dense(2)(masked)._keras_mask is not None


def test_lambda_refuses_lambdas_and_loads_references():
    layer = core.Lambda(lambda t: t + 1)
    layer(T.tensor("float32", shape=(None, 2)))
    with pytest.raises(ValueError, match="never stores bytecode"):
        layer.get_config()
    config = core.Lambda(sqr_function, output_shape=(2,)).get_config()
    assert config["function"] == f"{__name__}:sqr_function"
    with pytest.raises(ValueError, match="safe mode forbids"):
        core.Lambda.from_config(config)
    with custom_object_scope({"sqr_function": sqr_function}):
        assert core.Lambda.from_config(config).function is sqr_function
    with safe_mode_scope(False):
        assert core.Lambda.from_config(config).function is sqr_function
        with pytest.raises(ValueError, match="cannot find function"):
            core.Lambda.from_config(dict(config, function="no_such_module_xyz:f"))
    with pytest.raises(ValueError, match="never executes code"):
        core.Lambda.from_config(dict(config, function="4wEAAAAA", function_type="lambda"))


@pytest.mark.parametrize("make, shapes, message", [
    (lambda: core.Dense(2), [(None, 3), (None, 4)], "expected axis -1 of size 3"),
    (lambda: core.Reshape((4, 2)), [(None, 6)], "cannot reshape"),
    (lambda: merge.Concatenate(), [[(None, 2, 3), (None, 4, 3)]], "every axis but the concatenation"),
    (lambda: merge.Subtract(), [[(None, 3), (None, 3), (None, 3)]], "expected 2 inputs"),
    (lambda: merge.Dot(axes=1), [[(None, 3), (None, 4)]], "differ"),
])
def test_clear_errors(make, shapes, message):
    layer = make()
    with pytest.raises(ValueError, match=message) as info:
        for shape in shapes:
            layer([T.tensor("float32", shape=s) for s in shape] if isinstance(shape, list)
                  else T.tensor("float32", shape=shape))
    assert layer.name in str(info.value)


def test_keras3_keys_and_config_keys():
    config = core.Dense(3).get_config()
    assert list(config)[3:] == ["units", "activation", "use_bias", "kernel_initializer", "bias_initializer",
                                "kernel_regularizer", "bias_regularizer", "activity_regularizer",
                                "kernel_constraint", "bias_constraint"]
    layer = core.Dense.from_config(dict(config, name="d3", lora_rank=None,
                                        dtype={"module": "keras", "class_name": "DTypePolicy",
                                               "config": {"name": "float32"}}))
    assert layer.dtype == "float32"
    assert adv.LeakyReLU(negative_slope=0.2).alpha == 0.2


def test_softmax_layer_mask():
    x, mask = T.tensor("float32", shape=(None, 3)), T.tensor("bool", shape=(None, 3))
    out = adv.Softmax()(x, mask=mask)
    got = lb.function([x, mask], out)(np.array([[1.0, 2.0, 3.0]], "float32"), np.array([[True, False, True]]))
    np.testing.assert_allclose(got, _softmax(np.array([[1.0, -np.inf, 3.0]])), rtol=1e-6)
