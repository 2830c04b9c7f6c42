"""Keras 3 layers added for issue 15: depthwise, separable, transposed 1-d and 3-d convolutions, 3-d pooling,
ConvLSTM, Group/Unit normalization, the numeric and image preprocessing layers (with ``adapt``), additive
attention, EinsumDense, the noise layers at inference and Keras's aliases; each trained two epochs from
Keras's initial weights. The random augmentation layers run in training mode with a factor that leaves no
randomness (a fixed angle, zoom or shift), so Keras's exact output is the referee."""
import numpy as np

from keras_session import Case, train_and_report

from .data import targets


def _images(rng):
    x = rng.normal(size=(16, 8, 8, 2)).astype("float32")
    return {"x": x, "y": targets("binary:1", x.mean(axis=(1, 2)), rng)}


def _signals(rng):
    x = rng.normal(size=(16, 10, 2)).astype("float32")
    return {"x": x, "y": targets("binary:1", x.mean(axis=1), rng)}


def _volumes(rng):
    x = rng.normal(size=(16, 4, 6, 6, 2)).astype("float32")
    return {"x": x, "y": targets("binary:1", x.mean(axis=(1, 2, 3)), rng)}


def _frames(rng):
    x = rng.normal(size=(16, 3, 5, 5, 1)).astype("float32")
    return {"x": x, "y": targets("binary:1", x.mean(axis=(1, 2, 3)), rng)}


def _frames_1d(rng):
    x = rng.normal(size=(16, 3, 7, 2)).astype("float32")
    return {"x": x, "y": targets("binary:1", x.mean(axis=(1, 2)), rng)}


def _features(rng):
    x = (rng.normal(size=(32, 4)) * np.float32([1, 3, 10, 0.5]) + np.float32([0, 5, -2, 1])).astype("float32")
    return {"x": x, "y": targets("binary:1", (x - x.mean(0)) / x.std(0), rng)}


def _pixels(rng):
    x = rng.uniform(0, 255, size=(16, 6, 6, 3)).astype("float32")
    return {"x": x, "y": targets("binary:1", (x.mean(axis=(1, 2)) - 128) / 40, rng)}


def _sequences(rng):
    x = rng.normal(size=(32, 5, 3)).astype("float32")
    return {"x": x, "y": targets("binary:1", x.mean(axis=1), rng)}


def _case(name, middle, data, lr=0.05, head=True):
    """A Sequential model ``Input -> middle(kl) -> Flatten -> Dense(1, sigmoid)`` trained two epochs."""
    def program(s):
        kl = s.kl
        layers = [kl.Input(s.d["x"].shape[1:])] + middle(kl)
        if head:
            layers += [kl.layers.Flatten(), kl.layers.Dense(1, activation="sigmoid")]
        model = kl.Sequential(layers)
        model.compile(optimizer=kl.optimizers.SGD(lr), loss="binary_crossentropy", metrics=["accuracy"])
        train_and_report(s, model, s.d["x"], s.d["y"], batch_size=8)

    return Case(f"layers_k3/{name}", program, data)


L = lambda make: (lambda kl: make(kl.layers))   # noqa: E731 - a row's layers, written against kl.layers

ROWS = [
    # depthwise, separable and transposed convolutions
    ("DepthwiseConv2D/valid", L(lambda l: [l.DepthwiseConv2D(3, activation="relu")]), _images),
    ("DepthwiseConv2D/multiplier_same_strides", L(lambda l: [l.DepthwiseConv2D(3, strides=2, padding="same",
                                                                               depth_multiplier=2)]), _images),
    ("DepthwiseConv2D/dilation", L(lambda l: [l.DepthwiseConv2D(2, dilation_rate=2, use_bias=False)]), _images),
    ("DepthwiseConv1D", L(lambda l: [l.DepthwiseConv1D(3, depth_multiplier=3, padding="same")]), _signals),
    ("SeparableConv2D/valid", L(lambda l: [l.SeparableConv2D(3, 3, activation="relu")]), _images),
    ("SeparableConv2D/multiplier_strides", L(lambda l: [l.SeparableConv2D(4, 3, strides=2, padding="same",
                                                                          depth_multiplier=2)]), _images),
    ("SeparableConv1D/same", L(lambda l: [l.SeparableConv1D(3, 3, padding="same")]), _signals),
    ("SeparableConv1D/dilation", L(lambda l: [l.SeparableConv1D(2, 2, dilation_rate=2, depth_multiplier=2)]),
     _signals),
    ("Conv1DTranspose/valid", L(lambda l: [l.Conv1DTranspose(2, 3)]), _signals),
    ("Conv1DTranspose/same_strides", L(lambda l: [l.Conv1DTranspose(2, 3, strides=2, padding="same")]), _signals),
    ("Conv1DTranspose/output_padding", L(lambda l: [l.Conv1DTranspose(2, 3, strides=2, output_padding=1)]),
     _signals),
    ("Convolution2D_alias", L(lambda l: [l.Convolution2D(2, 3), l.SeparableConvolution2D(2, 2)]), _images),
    # 3-d convolution and pooling
    ("Conv3D/valid", L(lambda l: [l.Conv3D(3, 3, activation="relu")]), _volumes),
    ("Conv3D/same_strides", L(lambda l: [l.Conv3D(2, (2, 3, 3), strides=(2, 2, 1), padding="same")]), _volumes),
    ("Conv3D/dilation", L(lambda l: [l.Conv3D(2, 2, dilation_rate=(1, 2, 2))]), _volumes),
    ("MaxPooling3D", L(lambda l: [l.Conv3D(2, 2), l.MaxPooling3D(2)]), _volumes),
    ("MaxPooling3D/same", L(lambda l: [l.MaxPooling3D((3, 3, 2), strides=2, padding="same")]), _volumes),
    ("AveragePooling3D", L(lambda l: [l.AveragePooling3D((2, 2, 3))]), _volumes),
    ("AveragePooling3D/same", L(lambda l: [l.AveragePooling3D(3, strides=2, padding="same")]), _volumes),
    ("GlobalPooling3D", L(lambda l: [l.Conv3D(3, 2), l.GlobalMaxPooling3D(), l.Reshape((3, 1))]), _volumes),
    ("GlobalAveragePooling3D", L(lambda l: [l.Conv3D(3, 2), l.GlobalAveragePooling3D(), l.Reshape((3, 1))]),
     _volumes),
    ("UpSampling3D_ZeroPadding3D_Cropping3D", L(lambda l: [l.Cropping3D(((1, 0), (1, 2), (0, 1))),
                                                           l.ZeroPadding3D((1, 0, 1)), l.UpSampling3D((1, 2, 1)),
                                                           l.Conv3D(2, 2)]), _volumes),
    # convolutional LSTMs
    ("ConvLSTM2D/last", L(lambda l: [l.ConvLSTM2D(2, 3)]), _frames),
    ("ConvLSTM2D/sequences_same", L(lambda l: [l.ConvLSTM2D(2, 3, padding="same", return_sequences=True)]),
     _frames),
    ("ConvLSTM2D/strides_backwards", L(lambda l: [l.ConvLSTM2D(2, 2, strides=2, go_backwards=True,
                                                               unit_forget_bias=False)]), _frames),
    ("ConvLSTM1D", L(lambda l: [l.ConvLSTM1D(3, 3, return_sequences=True)]), _frames_1d),
    # normalization
    ("GroupNormalization", L(lambda l: [l.Conv2D(4, 3), l.GroupNormalization(groups=2)]), _images),
    ("GroupNormalization/no_center_eps", L(lambda l: [l.Conv2D(4, 3), l.GroupNormalization(
        groups=4, center=False, epsilon=0.1)]), _images),
    ("UnitNormalization", L(lambda l: [l.Conv1D(3, 3), l.UnitNormalization()]), _signals),
    ("UnitNormalization/axes", L(lambda l: [l.Conv2D(3, 3), l.UnitNormalization(axis=[1, 2])]), _images),
    # numeric and image preprocessing
    ("Normalization/given", L(lambda l: [l.Normalization(mean=[0.0, 5.0, -2.0, 1.0], variance=[1.0, 9.0, 100.0,
                                                                                              0.25])]), _features),
    ("Normalization/invert", L(lambda l: [l.Normalization(mean=[0.0, 5.0, -2.0, 1.0], variance=[1.0, 9.0, 100.0,
                                                                                               0.25]),
                                          l.Normalization(mean=0.5, variance=0.25, invert=True)]), _features),
    ("Rescaling", L(lambda l: [l.Rescaling(1.0 / 255, offset=-0.5), l.Conv2D(2, 3)]), _pixels),
    ("Resizing/bilinear_down", L(lambda l: [l.Rescaling(1.0 / 255), l.Resizing(4, 5)]), _pixels),
    ("Resizing/bilinear_up", L(lambda l: [l.Rescaling(1.0 / 255), l.Resizing(9, 7)]), _pixels),
    ("Resizing/nearest", L(lambda l: [l.Rescaling(1.0 / 255), l.Resizing(4, 9, interpolation="nearest")]),
     _pixels),
    ("Resizing/crop_to_aspect_ratio", L(lambda l: [l.Rescaling(1.0 / 255), l.Resizing(
        3, 5, crop_to_aspect_ratio=True)]), _pixels),
    ("CenterCrop", L(lambda l: [l.Rescaling(1.0 / 255), l.CenterCrop(3, 4)]), _pixels),
    ("CenterCrop/upscale", L(lambda l: [l.Rescaling(1.0 / 255), l.CenterCrop(8, 7)]), _pixels),
    ("UpSampling2D/bilinear", L(lambda l: [l.Conv2D(2, 3, strides=2), l.UpSampling2D((2, 3),
                                                                                      interpolation="bilinear")]),
     _images),
    # random augmentation: active in fit, with factors that leave no randomness
    ("RandomRotation/fixed", L(lambda l: [l.Rescaling(1.0 / 255), l.RandomRotation((0.1, 0.1))]), _pixels),
    ("RandomRotation/fixed_constant_nearest", L(lambda l: [l.Rescaling(1.0 / 255), l.RandomRotation(
        (-0.2, -0.2), fill_mode="constant", fill_value=0.5, interpolation="nearest")]), _pixels),
    ("RandomRotation/fixed_wrap", L(lambda l: [l.Rescaling(1.0 / 255), l.RandomRotation(
        (0.3, 0.3), fill_mode="wrap")]), _pixels),
    ("RandomZoom/fixed_in", L(lambda l: [l.Rescaling(1.0 / 255), l.RandomZoom((-0.3, -0.3))]), _pixels),
    ("RandomZoom/fixed_out_nearest_fill", L(lambda l: [l.Rescaling(1.0 / 255), l.RandomZoom(
        (0.4, 0.4), (0.2, 0.2), fill_mode="nearest")]), _pixels),
    ("RandomTranslation/fixed", L(lambda l: [l.Rescaling(1.0 / 255), l.RandomTranslation((0.2, 0.2),
                                                                                          (-0.3, -0.3))]), _pixels),
    ("RandomTranslation/fixed_constant", L(lambda l: [l.Rescaling(1.0 / 255), l.RandomTranslation(
        (-0.25, -0.25), (0.1, 0.1), fill_mode="constant")]), _pixels),
    ("RandomContrast/zero", L(lambda l: [l.RandomContrast(0.0), l.Rescaling(1.0 / 255)]), _pixels),
    # noise layers are the identity at inference; with rate 0 also in fit
    ("noise/rate0", L(lambda l: [l.Conv2D(2, 3), l.GaussianNoise(0.0), l.GaussianDropout(0.0),
                                 l.SpatialDropout2D(0.0), l.AlphaDropout(0.0)]), _images),
    ("ActivityRegularization", L(lambda l: [l.Conv2D(2, 3), l.ActivityRegularization(l1=0.01, l2=0.05)]), _images),
    # EinsumDense
    ("EinsumDense/dense", L(lambda l: [l.EinsumDense("ab,bc->ac", output_shape=3, bias_axes="c",
                                                     activation="tanh")]), _features),
    ("EinsumDense/sequence", L(lambda l: [l.EinsumDense("abc,cd->abd", output_shape=(5, 4), bias_axes="d")]),
     _sequences),
    ("EinsumDense/heads", L(lambda l: [l.EinsumDense("abc,cde->abde", output_shape=(5, 2, 2),
                                                     bias_axes="de")]), _sequences),
    ("EinsumDense/ellipsis", L(lambda l: [l.EinsumDense("...b,bc->...c", output_shape=2)]), _sequences),
]


def _inference_noise(s):
    """Every noise layer is the identity in predict and evaluate."""
    kl = s.kl
    model = kl.Sequential([kl.Input((8, 8, 2)), kl.layers.Conv2D(2, 3), kl.layers.GaussianNoise(0.5),
                           kl.layers.GaussianDropout(0.3), kl.layers.SpatialDropout2D(0.4),
                           kl.layers.AlphaDropout(0.2), kl.layers.RandomFlip(), kl.layers.RandomContrast(0.5),
                           kl.layers.Flatten(), kl.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    s.start(model)
    s.out["predict"] = model.predict(s.d["x"], verbose=0)
    s.out["evaluate"] = model.evaluate(s.d["x"], s.d["y"], verbose=0)


def _additive(name, **kwargs):
    def program(s):
        kl = s.kl
        q, v = kl.Input((4, 3), name="q"), kl.Input((6, 3), name="v")
        h = kl.layers.AdditiveAttention(**kwargs)([q, v])
        model = kl.Model([q, v], kl.layers.Dense(1, activation="sigmoid")(kl.layers.GlobalAveragePooling1D()(h)))
        model.compile(optimizer=kl.optimizers.SGD(0.1), loss="binary_crossentropy", metrics=["accuracy"])
        train_and_report(s, model, [s.d["q"], s.d["v"]], s.d["y"])

    def data(rng):
        q = rng.normal(size=(32, 4, 3)).astype("float32")
        v = rng.normal(size=(32, 6, 3)).astype("float32")
        return {"q": q, "v": v, "y": targets("binary:1", q.mean(axis=1) + v.mean(axis=1), rng)}

    return Case(f"layers_k3/AdditiveAttention/{name}", program, data)


def _adapted_normalization(s):
    kl = s.kl
    norm = kl.layers.Normalization()
    norm.adapt(s.d["x"])
    s.out["adapted"] = [np.asarray(w, dtype="float64") for w in norm.get_weights()[:2]]
    batches = kl.layers.Normalization(axis=None)
    batches.adapt([s.d["x"][:10], s.d["x"][10:25], s.d["x"][25:]])
    s.out["adapted_batches"] = [np.asarray(w, dtype="float64") for w in batches.get_weights()[:2]]
    model = kl.Sequential([kl.Input((4,)), norm, kl.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=kl.optimizers.SGD(0.1), loss="binary_crossentropy")
    train_and_report(s, model, s.d["x"], s.d["y"])


def _discretization(s):
    kl = s.kl
    layer = kl.layers.Discretization(num_bins=4, epsilon=0.01)
    layer.adapt(s.d["x"][:, 1])
    s.out["boundaries"] = [float(b) for b in layer.bin_boundaries]
    coarse = kl.layers.Discretization(num_bins=3, epsilon=0.1)
    coarse.adapt(s.d["x"][:, 2])
    s.out["boundaries_coarse"] = [float(b) for b in coarse.bin_boundaries]
    x = kl.Input((4,))
    one_hot = kl.layers.Discretization(bin_boundaries=[-1.0, 0.0, 2.5], output_mode="one_hot")(x)
    counts = kl.layers.Discretization(bin_boundaries=[0.0, 1.0], output_mode="count")(x)
    multi = kl.layers.CategoryEncoding(4, output_mode="multi_hot")(kl.layers.Discretization(
        bin_boundaries=[-0.5, 0.5, 3.0])(x))
    h = kl.layers.Concatenate()([kl.layers.Flatten()(one_hot), counts, multi])
    model = kl.Model(x, kl.layers.Dense(1, activation="sigmoid")(h))
    model.compile(optimizer=kl.optimizers.SGD(0.1), loss="binary_crossentropy")
    train_and_report(s, model, s.d["x"], s.d["y"])


def _category_encoding(s):
    kl = s.kl
    codes = (np.abs(s.d["x"]) * 2).astype("int32") % 5
    x = kl.Input((4,), dtype="int32")
    counted = kl.layers.CategoryEncoding(5, output_mode="count")(x)
    multi = kl.layers.CategoryEncoding(5)(x)
    one_hot = kl.layers.Flatten()(kl.layers.CategoryEncoding(5, output_mode="one_hot")(x))
    model = kl.Model(x, kl.layers.Dense(1, activation="sigmoid")(kl.layers.Concatenate()([counted, multi,
                                                                                          one_hot])))
    model.compile(optimizer=kl.optimizers.SGD(0.1), loss="binary_crossentropy")
    train_and_report(s, model, codes, s.d["y"])


CASES = [_case(name, middle, data) for name, middle, data in ROWS]
CASES += [Case("layers_k3/noise/inference", _inference_noise, _images),
          _additive("default"), _additive("no_scale", use_scale=False),
          Case("layers_k3/Normalization/adapt", _adapted_normalization, _features),
          Case("layers_k3/Discretization/adapt_and_modes", _discretization, _features),
          Case("layers_k3/CategoryEncoding/modes", _category_encoding, _features)]
