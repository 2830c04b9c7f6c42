"""Issue 15's layers beyond the shared ``run_layer_test`` table and the Keras recordings: what only a property can
pin (random augmentations draw their own numbers), errors, and the docstring examples."""
import doctest
import importlib

import numpy as np
import pytest

import layerkit_backend as lb
import layerkit_backend.tensor as T
from layerkit import layers as L

NEW_MODULES = ["layerkit.backend_image", "layerkit.layers.depthwise", "layerkit.layers.volumetric",
               "layerkit.layers.conv_recurrent", "layerkit.layers.noise", "layerkit.layers.preprocessing_numeric",
               "layerkit.layers.preprocessing_image", "layerkit.layers.einsum_dense",
               "layerkit.layers.preprocessing_text", "layerkit.tensorboard", "layerkit.losses_ctc",
               "layerkit.losses_focal", "layerkit.losses_overlap", "layerkit.metrics_scores",
               "layerkit.layers.hashing"]


@pytest.mark.parametrize("name", NEW_MODULES)
def test_docstring_examples(name):
    assert doctest.testmod(importlib.import_module(name)).failed == 0


def _run(layer, x, training):
    inp = T.tensor(str(x.dtype), shape=(None,) + x.shape[1:])
    return lb.function([inp], layer(inp, training=training))(x)


IMAGES = np.random.default_rng(0).normal(size=(12, 5, 4, 2)).astype("float32")


@pytest.mark.parametrize("mode, flip", [("horizontal", lambda x: x[:, ::-1]), ("vertical", lambda x: x[::-1]),
                                        ("horizontal_and_vertical", lambda x: x[::-1, ::-1])])
def test_random_flip_gives_each_image_or_its_flip(mode, flip):
    out = _run(L.RandomFlip(mode, seed=3), IMAGES, training=True)
    flipped = [not np.array_equal(o, x) for o, x in zip(out, IMAGES)]
    for o, x in zip(out, IMAGES):
        assert np.array_equal(o, x) or np.array_equal(o, flip(x))
    assert 0 < sum(flipped) < len(IMAGES)   # both outcomes occur for 12 images with this seed
    np.testing.assert_array_equal(_run(L.RandomFlip(mode, seed=3), IMAGES, training=False), IMAGES)


def test_random_contrast_scales_the_deviation_from_the_mean_within_the_range():
    x = np.random.default_rng(1).uniform(50, 200, size=(6, 4, 4, 3)).astype("float32")
    out = _run(L.RandomContrast(0.5, seed=2), x, training=True)
    mean = x.mean(axis=(1, 2), keepdims=True)
    factor = ((out - mean) / (x - mean)).reshape(6, -1)
    assert np.allclose(factor, factor[:, :1], atol=1e-3)   # one factor per image (pixels stay in [0, 255])
    assert np.all((factor[:, 0] >= 1.0 - 1e-4) & (factor[:, 0] <= 1.5 + 1e-4))


@pytest.mark.parametrize("layer", [L.GaussianNoise(0.5, seed=1), L.GaussianDropout(0.3, seed=1),
                                   L.AlphaDropout(0.3, seed=1), L.SpatialDropout2D(0.5, seed=1)])
def test_noise_layers_change_values_only_while_training(layer):
    np.testing.assert_array_equal(_run(layer, IMAGES, training=False), IMAGES)
    assert not np.allclose(_run(layer, IMAGES, training=True), IMAGES)


def test_spatial_dropout_drops_whole_channels():
    out = _run(L.SpatialDropout2D(0.5, seed=4), np.ones((8, 3, 3, 4), "float32"), training=True)
    per_channel = out.reshape(8, 9, 4)
    assert np.all(per_channel == per_channel[:, :1]) and set(np.unique(out)) == {0.0, 2.0}


def test_alpha_dropout_keeps_mean_and_variance_of_standard_inputs():
    x = np.random.default_rng(2).normal(size=(400, 50)).astype("float32")
    out = _run(L.AlphaDropout(0.2, seed=5), x, training=True)
    assert abs(out.mean()) < 0.05 and abs(out.std() - 1.0) < 0.05


def test_normalization_adapt_combines_batches_exactly():
    x = np.random.default_rng(3).normal(3.0, 2.0, size=(50, 3)).astype("float32")
    whole, batched = L.Normalization(), L.Normalization()
    whole.adapt(x)
    batched.adapt([x[:7], x[7:30], x[30:]])
    for a, b in zip(whole.get_weights()[:2], batched.get_weights()[:2]):
        np.testing.assert_allclose(a, b, rtol=1e-5)
    np.testing.assert_allclose(whole.get_weights()[0], x.mean(0), rtol=1e-5)


def test_discretization_buckets_like_numpy_digitize():
    x = np.float32([[-2.0, -1.0, 0.0, 0.5, 3.0]])
    out = _run(L.Discretization(bin_boundaries=[-1.0, 0.0, 1.0]), x, training=False)
    np.testing.assert_array_equal(out, np.digitize(x, [-1.0, 0.0, 1.0]))


@pytest.mark.parametrize("make, match", [
    (lambda: L.SeparableConv1D(2, 3, padding="causal"), "padding"),
    (lambda: L.RandomFlip("diagonal"), "mode"),
    (lambda: L.RandomRotation(0.1, fill_mode="mirror"), "fill_mode"),
    (lambda: L.Resizing(4, 4, interpolation="bicubic"), "interpolation"),
    (lambda: L.CategoryEncoding(0), "num_tokens"),
    (lambda: L.Discretization(), "bin_boundaries or num_bins"),
    (lambda: L.ConvLSTM2D(2, 3, dropout=0.2), "dropout"),
    (lambda: L.EinsumDense("ab->b", output_shape=2), "equation"),
])
def test_bad_arguments_get_a_clear_error(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_group_normalization_needs_channels_divisible_by_groups():
    with pytest.raises(ValueError, match="multiple of groups=3"):
        L.GroupNormalization(groups=3)(T.tensor("float32", shape=(None, 5, 4)))


def _text_model():
    import layerkit
    x = layerkit.Input((1,), dtype="string")
    lookup = L.StringLookup(vocabulary=["a", "b"], output_mode="one_hot")
    model = layerkit.Model(x, L.Dense(1)(lookup(x)))
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_text_goes_through_fit_and_predict_only_for_string_inputs():
    model = _text_model()
    words = np.array([["a"], ["b"], ["zebra"]])
    model.fit(words, np.ones((3, 1), "float32"), verbose=0)
    assert model.predict(words, verbose=0).shape == (3, 1)
    with pytest.raises(ValueError, match="declared dtype='string'"):
        model.predict(np.float32([[1.0], [2.0]]), verbose=0)
    numeric = L.Dense(1)
    import layerkit
    other = layerkit.Sequential([layerkit.Input((1,)), numeric])
    other.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="only an input declared"):
        other.predict(words, verbose=0)


def test_lookup_adapt_orders_by_count_then_larger_token():
    layer = L.StringLookup(max_tokens=4)
    layer.adapt(np.array(["b", "c", "a", "c", "b", "d"]))
    assert layer.get_vocabulary() == ["[UNK]", "c", "b", "d"]


@pytest.mark.parametrize("make, match", [
    (lambda: L.StringLookup(num_oov_indices=2), "num_oov_indices"),
    (lambda: L.TextVectorization(output_mode="tf_idf"), "output_mode"),
    (lambda: L.StringLookup(invert=True), "invert"),
])
def test_unsupported_lookup_options_are_refused(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_hashing_is_farmhash64_of_the_text():
    from layerkit.layers.hashing import fingerprint64
    # the published FarmHash64 of the empty string is k2 (farmhashna's HashLen0to16 for length 0)
    assert fingerprint64(b"") == 0x9AE16A3B2F90404F
    x = T.tensor("string", shape=(None,))
    strings = np.array(["", "a", "ab" * 9, "x" * 40, "long text " * 20])
    bins = lb.function([x], L.Hashing(2 ** 31)(x))(strings)
    assert bins.tolist() == [fingerprint64(s.encode()) % 2 ** 31 for s in strings]
