"""Models: functional graphs (several inputs/outputs, shared layers, nesting), subclassing, Sequential, summary."""
import numpy as np
import pytest

import layerkit_backend.tensor as T
from layerkit.layers.base import Layer
from layerkit.layers.core import Dense
from layerkit.layers.input_layer import Input, InputLayer
from layerkit.models import Model, Sequential


@pytest.fixture(autouse=True)
def _fresh_names():
    from layerkit.layers.base import clear_name_counts
    clear_name_counts()


def _dense(units, in_dim):
    """A Dense whose weights are set to a known function of the shape."""
    layer = Dense(units)
    layer.build((None, in_dim))
    layer.set_weights([np.arange(in_dim * units, dtype="float32").reshape(in_dim, units) / 10,
                       np.ones(units, "float32")])
    return layer


class Sum(Layer):
    def call(self, inputs):
        return inputs[0] + inputs[1]


def _two_in_two_out():
    a, b = Input(shape=(3,), name="a"), Input(shape=(2,), name="b")
    shared = _dense(4, 3)
    ha, hb = shared(a), _dense(4, 2)(b)
    out1 = Dense(1, name="out1")(ha)
    out2 = Dense(2, name="out2")(Sum(name="sum")([shared(a), hb]))
    return Model([a, b], [out1, out2], name="two")


class Twice(Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inner = Dense(2)

    def call(self, inputs):
        return self.inner(inputs) * 2


def _nested():
    inner_in = Input(shape=(3,))
    inner = Model(inner_in, _dense(2, 3)(inner_in), name="inner")
    x = Input(shape=(3,), name="x")
    return Model(x, Dense(1, name="head")(inner(x)), name="outer"), inner


# (name, build model, input shapes, expected output shapes, expected layer names)
CASES = [
    ("sequential_input_shape", lambda: Sequential([Dense(4, input_shape=(3,), name="d1"), Dense(2, name="d2")]),
     [(5, 3)], [(5, 2)], ["d1", "d2"]),
    ("sequential_input_layer", lambda: Sequential([Input(shape=(3,)), Dense(2, name="d3")]), [(5, 3)], [(5, 2)],
     ["d3"]),
    ("sequential_input_dim", lambda: Sequential([Dense(2, input_dim=3, name="d4")]), [(1, 3)], [(1, 2)], ["d4"]),
    ("sequential_deferred", lambda: Sequential([Dense(2, name="d5")]), [(4, 6)], [(4, 2)], ["d5"]),
    ("functional_two_in_two_out", _two_in_two_out, [(5, 3), (5, 2)], [(5, 1), (5, 2)],
     ["a", "b", "dense", "dense_1", "sum", "out1", "out2"]),
    ("nested_model", lambda: _nested()[0], [(2, 3)], [(2, 1)], ["x", "inner", "head"]),
    ("subclassed", lambda: Twice(name="twice"), [(3, 5)], [(3, 2)], None),
]


@pytest.mark.parametrize("name,make,in_shapes,out_shapes,layer_names", CASES, ids=[c[0] for c in CASES])
def test_model_forward(name, make, in_shapes, out_shapes, layer_names):
    model = make()
    xs = [np.random.default_rng(0).normal(size=s).astype("float32") for s in in_shapes]
    out = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
    outs = out if isinstance(out, list) else [out]
    assert [o.shape for o in outs] == out_shapes
    if layer_names is not None:
        assert [l.name for l in model.layers] == layer_names
        assert model.get_layer(index=-1).name == layer_names[-1]
    batch = model.predict_on_batch(xs if len(xs) > 1 else xs[0])
    for got, expected in zip(batch if len(outs) > 1 else [batch], outs):
        np.testing.assert_allclose(got, expected, rtol=1e-6)
    weights = model.get_weights()
    model.set_weights([w + 1 for w in weights])
    assert all(np.allclose(a, b + 1) for a, b in zip(model.get_weights(), weights))
    assert model.count_params() == sum(w.size for w in weights)


def test_functional_values_match_hand_computation():
    model = _two_in_two_out()
    a, b = np.ones((2, 3), "float32"), np.ones((2, 2), "float32")
    shared = model.get_layer("dense")
    kernel, bias = shared.get_weights()
    ha = a @ kernel + bias
    w1, b1 = model.get_layer("out1").get_weights()
    out1, out2 = model.predict([a, b], verbose=0)
    np.testing.assert_allclose(out1, ha @ w1 + b1, rtol=1e-5)
    assert model.input_names == ["a", "b"] and model.output_names == ["out1", "out2"]
    # the shared layer is listed once, its weights counted once
    assert sum(l is shared for l in model.layers) == 1
    assert len(model.weights) == 2 + 2 + 2 + 2


def test_nested_model_shares_weights_with_inner():
    outer, inner = _nested()
    x = np.ones((2, 3), "float32")
    inner_out = inner.predict(x, verbose=0)
    w, b = outer.get_layer("head").get_weights()
    np.testing.assert_allclose(outer.predict(x, verbose=0), inner_out @ w + b, rtol=1e-5)
    assert len(outer.trainable_weights) == 4


def test_sequential_add_pop_and_errors():
    model = Sequential(name="s")
    model.add(Dense(3, input_shape=(2,), name="first"))
    model.add(Dense(4, name="second"))
    assert model.output_shape == (None, 4)
    model.pop()
    assert model.output_shape == (None, 3) and [l.name for l in model.layers] == ["first"]
    with pytest.raises(ValueError, match="already in the model"):
        model.add(Dense(1, name="first"))
    with pytest.raises(TypeError, match="expects a Layer"):
        model.add("dense")
    with pytest.raises(ValueError, match="no layer named 'nope'"):
        model.get_layer("nope")


@pytest.mark.parametrize("make,message", [
    (lambda: Model(T.matrix("raw"), T.matrix("o")), "not a tensor made by Input"),
    (lambda: Model(Input(shape=(2,)), None), "give both inputs and outputs"),
    (lambda: Model(Input(shape=(2,)), Dense(1)(Input(shape=(2,), name="other"))), "not among the model's inputs"),
])
def test_functional_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_summary_lists_layers_and_totals():
    lines = []
    model = _two_in_two_out()
    model.get_layer("dense").trainable = False
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert 'Model: "two"' in text and "out2 (Dense)" in text and "Connected to" in text
    non_trainable = 3 * 4 + 4
    total = sum(w.size for w in model.get_weights())
    assert f"Total params: {total:,}" in text
    assert f"Non-trainable params: {non_trainable:,}" in text
    seq_lines = []
    Sequential([Dense(2, input_shape=(3,), name="only")]).summary(print_fn=seq_lines.append)
    assert any(line.startswith("only (Dense)") and "(None, 2)" in line and line.rstrip().endswith("8")
               for line in seq_lines)


def test_model_as_layer_records_node_and_input_layer_first():
    _, inner = _nested()
    assert isinstance(inner.layers[0], InputLayer)
    y = inner(Input(shape=(3,)))
    assert y.type.shape == (None, 2) and y._keras_history[0] is inner


class Counter(Layer):
    """A layer with one trainable and one non-trainable weight."""

    def build(self, input_shape):
        self.scale = self.add_weight("scale", (input_shape[-1],), initializer="ones")
        self.count = self.add_weight("count", (), initializer="zeros", trainable=False)

    def call(self, inputs):
        return inputs * self.scale


def test_weights_are_listed_layer_by_layer():
    model = Sequential([Counter(input_shape=(2,), name="c1"), Dense(1, name="d")])
    assert [w.name for w in model.weights] == ["c1/scale", "c1/count", "d/kernel", "d/bias"]
    assert [w.name for w in model.trainable_weights] == ["c1/scale", "d/kernel", "d/bias"]
    model.set_weights([np.full(2, 3.0), np.array(5.0), np.ones((2, 1)), np.zeros(1)])
    np.testing.assert_allclose(model.predict(np.ones((1, 2), "float32"), verbose=0), [[6.0]])
    with pytest.raises(ValueError, match="expected 4 arrays"):
        model.set_weights([np.ones(2)])
