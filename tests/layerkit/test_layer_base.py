"""The Layer base: building from static shapes, weights, captured configs, masks, nodes, losses and updates."""
import numpy as np
import pytest

import layerkit_backend as lb
import layerkit_backend.tensor as T
from layerkit.layers.base import (CallContext, InputSpec, Layer, get_registered_object, register_keras_serializable,
                                  to_snake_case)
from layerkit.layers.input_layer import Input


class Scale(Layer):
    """A layer with one weight per feature and a constructor argument."""

    def __init__(self, factor=2.0, regularize=False, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor
        self.regularize = regularize

    def build(self, input_shape):
        self.w = self.add_weight("w", (input_shape[-1],), initializer="ones",
                                 regularizer="l2" if self.regularize else None)
        self.frozen = self.add_weight("frozen", (1,), initializer="zeros", trainable=False)

    def call(self, inputs, training=None):
        self.add_update((self.frozen, self.frozen + 1))
        return inputs * self.w * self.factor


class MaskAware(Layer):
    supports_masking = True

    def call(self, inputs, mask=None):
        self.seen_mask = mask
        return inputs * 1


class Composite(Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inner = [Scale(1.0), Scale(3.0)]

    def call(self, inputs):
        return self.inner[1](self.inner[0](inputs))


def _x(shape=(None, 3), name="x"):
    return T.tensor("float32", shape=shape, name=name)


@pytest.mark.parametrize("class_name, expected", [
    ("Dense", "dense"), ("Conv2D", "conv2d"), ("SimpleRNN", "simple_rnn"), ("LSTM", "lstm"),
    ("BatchNormalization", "batch_normalization"), ("MultiHeadAttention", "multi_head_attention"),
])
def test_default_names_follow_keras(class_name, expected):
    assert to_snake_case(class_name) == expected


def test_build_from_static_shape_and_compute():
    layer = Scale(3.0)
    x = _x()
    y = layer(x)
    assert layer.built and y.type.shape == (None, 3)
    assert [w.name for w in layer.weights] == [f"{layer.name}/w", f"{layer.name}/frozen"]
    assert layer.count_params() == 4
    f = lb.function([x], y)
    np.testing.assert_allclose(f(np.ones((2, 3), "float32")), np.full((2, 3), 3.0))


def test_config_is_captured_from_the_constructor():
    layer = Scale(factor=5.0, name="scaler", trainable=False)
    config = layer.get_config()
    assert config == {"name": "scaler", "trainable": False, "dtype": "float32", "factor": 5.0, "regularize": False}
    clone = Scale.from_config(config)
    assert clone.factor == 5.0 and clone.name == "scaler" and not clone.trainable


def test_trainable_flag_moves_weights():
    layer = Scale()
    layer(_x())
    assert len(layer.trainable_weights) == 1 and len(layer.non_trainable_weights) == 1
    layer.trainable = False
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 2


def test_nested_layers_are_tracked():
    layer = Composite()
    y = layer(_x())
    assert len(layer.trainable_weights) == 2 and len(layer.weights) == 4
    np.testing.assert_allclose(lb.function([layer.input], y)(np.ones((1, 3), "float32")), np.full((1, 3), 3.0))
    # inner calls made inside call() are not functional-API nodes
    assert all(len(inner._inbound_nodes) == 0 for inner in layer.inner)


def test_set_weights_checks_count_and_shapes():
    layer = Scale()
    layer(_x())
    with pytest.raises(ValueError, match="expected 2 arrays"):
        layer.set_weights([np.ones(3)])
    with pytest.raises(ValueError, match=r"expects shape \(3,\), received \(4,\)"):
        layer.set_weights([np.ones(4), np.zeros(1)])
    np.testing.assert_array_equal(layer.get_weights()[0], np.ones(3))   # unchanged after the failure
    layer.set_weights([np.full(3, 2.0), np.zeros(1)])
    np.testing.assert_array_equal(layer.get_weights()[0], np.full(3, 2.0))


def test_losses_and_updates_go_to_the_call_context():
    layer = Scale(regularize=True)
    x = _x()
    layer(x)
    assert len(layer.losses) == 1 and len(layer.updates) == 1   # construction call: stored on the layer
    with CallContext() as ctx:
        layer(x, training=True)
    assert len(ctx.updates) == 1 and len(layer.updates) == 1
    assert len(layer._inbound_nodes) == 1   # calls inside a context are not recorded as nodes


def test_masks_propagate_and_reach_call():
    x = _x((None, 4, 2))
    x._keras_mask = T.tensor("bool", shape=(None, 4), name="m")
    layer = MaskAware()
    y = layer(x)
    assert layer.seen_mask is x._keras_mask and y._keras_mask is x._keras_mask
    assert Scale()(y)._keras_mask is None


def test_functional_views_and_identity_outputs():
    x = Input(shape=(3,), name="inp")
    layer = Layer(name="passthrough")
    y = layer(x)
    assert y is not x and x._keras_history[0].name == "inp"   # the caller's tensor is never relabelled
    assert layer.input is x and layer.output is y and layer.output_shape == (None, 3)
    layer(x)
    with pytest.raises(AttributeError, match="called 2 times"):
        layer.output


@pytest.mark.parametrize("spec, shape, message", [
    (InputSpec(ndim=3), (None, 3), "expected ndim=3, received ndim=2"),
    (InputSpec(min_ndim=3), (None, 3), "expected ndim >= 3"),
    (InputSpec(axes={-1: 4}), (None, 3), "expected axis -1 of size 4"),
])
def test_input_spec_errors_name_the_layer(spec, shape, message):
    layer = Layer(name="picky")
    layer.input_spec = spec
    with pytest.raises(ValueError, match=f"picky: input 0: {message}"):
        layer(_x(shape))


def test_compute_output_shape_is_inferred():
    assert Scale().compute_output_shape((7, 3)) == (7, 3)


def test_unknown_constructor_argument_is_refused():
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        Scale(colour="red")


def test_registration_decorator():
    @register_keras_serializable(package="tests")
    class Registered(Layer):
        pass

    assert get_registered_object("tests>Registered") is Registered
    assert get_registered_object("Registered") is Registered
    assert Registered._registered_name == "tests>Registered"


def test_input_placeholder():
    x = Input(shape=(None, 5), batch_size=2, dtype="int32", name="tokens")
    assert x.type.shape == (2, None, 5) and x.dtype == "int32"
    layer = x._keras_history[0]
    assert layer.get_config()["batch_input_shape"] == [2, None, 5]
    with pytest.raises(ValueError, match="give shape"):
        Input()


class Blend(Layer):
    """A layer with a positional tensor argument besides its inputs (Keras 3 style ``call(a, b)``)."""

    def call(self, inputs, other, weight=0.5):
        return inputs * weight + other * (1 - weight)


def test_positional_tensor_arguments_are_replayed_by_models():
    from layerkit.models import Model

    a, b = Input(shape=(2,), name="a"), Input(shape=(2,), name="b")
    model = Model([a, b], Blend()(a, b, weight=0.25))
    x, y = np.ones((1, 2), "float32"), np.zeros((1, 2), "float32")
    np.testing.assert_allclose(model.predict([x, y], verbose=0), np.full((1, 2), 0.25))


def test_keras3_dtype_policy_dicts_are_read():
    layer = Layer(dtype={"class_name": "DTypePolicy", "config": {"name": "float64"}})
    assert layer.dtype == "float64"
