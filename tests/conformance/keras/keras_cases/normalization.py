"""BatchNormalization trained, frozen (the layer, or the whole base model for fine-tuning) and in inference;
LayerNormalization; Dropout at inference."""
from keras_session import Case, train_and_report

from .data import features, targets


def _data(rng):
    x = features(rng) * 3.0 + 1.0
    return {"x": x, "y": targets("real:1", x, rng)}


def _images(rng):
    x = rng.normal(size=(24, 6, 6, 2)).astype("float32") + 0.5
    return {"x": x, "y": targets("binary:1", x.mean(axis=(1, 2)), rng)}


def _moved_statistics(bn):
    """Non-trivial moving statistics, so inference mode is visible in every number."""
    weights = bn.get_weights()   # [gamma, beta,] moving_mean, moving_variance
    *scale_shift, mean, variance = weights
    scale_shift = [scale_shift[0] * 1.5, scale_shift[1] + 0.1] if scale_shift else []
    bn.set_weights(scale_shift + [mean + 0.3, variance * 2.0])


def _bn_model(kl, **bn_kwargs):
    bn = kl.layers.BatchNormalization(**bn_kwargs)
    model = kl.Sequential([kl.Input((4,)), kl.layers.Dense(6), bn, kl.layers.Activation("relu"),
                           kl.layers.Dense(1)])
    return model, bn


def _bn_case(name, freeze=None, **bn_kwargs):
    """``freeze``: None, 'layer' (bn.trainable = False) or 'model' (a base model frozen for fine-tuning)."""
    def program(s):
        kl = s.kl
        if freeze == "model":
            base = kl.Sequential([kl.Input((4,)), kl.layers.Dense(6), kl.layers.BatchNormalization(**bn_kwargs)],
                                 name="base")
            bn = base.layers[-1]
            model = kl.Sequential([kl.Input((4,)), base, kl.layers.Dense(1)])
        else:
            model, bn = _bn_model(kl, **bn_kwargs)
        s.start(model)
        _moved_statistics(bn)
        if freeze == "layer":
            bn.trainable = False
        elif freeze == "model":
            base.trainable = False
        model.compile(optimizer=kl.optimizers.SGD(0.05), loss="mse")
        s.out["trainable_weights"] = len(model.trainable_weights)
        s.out["predict_before"] = model.predict(s.d["x"], verbose=0)
        train_and_report(s, model, s.d["x"], s.d["y"], epochs=2, batch_size=16, start=False)
        s.out["bn_weights"] = bn.get_weights()

    return Case(f"normalization/{name}", program, _data)


def _conv_bn(name, **bn_kwargs):
    def program(s):
        kl = s.kl
        model = kl.Sequential([kl.Input((6, 6, 2)), kl.layers.Conv2D(3, 3), kl.layers.BatchNormalization(**bn_kwargs),
                               kl.layers.Activation("relu"), kl.layers.GlobalAveragePooling2D(),
                               kl.layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer=kl.optimizers.SGD(0.05), loss="binary_crossentropy", metrics=["accuracy"])
        train_and_report(s, model, s.d["x"], s.d["y"], batch_size=8)

    return Case(f"normalization/{name}", program, _images)


def _layer_norm(name, **kwargs):
    def program(s):
        kl = s.kl
        model = kl.Sequential([kl.Input((4,)), kl.layers.Dense(6), kl.layers.LayerNormalization(**kwargs),
                               kl.layers.Dense(1)])
        model.compile(optimizer=kl.optimizers.SGD(0.05), loss="mse")
        train_and_report(s, model, s.d["x"], s.d["y"])

    return Case(f"normalization/{name}", program, _data)


def _dropout_program(s):
    """Dropout is the identity in predict and evaluate."""
    kl = s.kl
    model = kl.Sequential([kl.Input((4,)), kl.layers.Dense(8, activation="relu"), kl.layers.Dropout(0.5),
                           kl.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    s.start(model)
    s.out["predict"] = model.predict(s.d["x"], verbose=0)
    s.out["evaluate"] = model.evaluate(s.d["x"], s.d["y"], verbose=0)


def _sequence_data(rng):
    x = rng.normal(size=(48, 3, 4)).astype("float32") * 2 + 1
    return {"x": x, "y": targets("real:1", x.mean(axis=1), rng)}


def _bn_axis1_program(s):
    kl = s.kl
    model = kl.Sequential([kl.Input((3, 4)), kl.layers.BatchNormalization(axis=1), kl.layers.Flatten(),
                           kl.layers.Dense(1)])
    model.compile(optimizer=kl.optimizers.SGD(0.05), loss="mse")
    train_and_report(s, model, s.d["x"], s.d["y"])


def _frozen_then_unfrozen(s):
    """Fine-tuning in two phases: head only, then everything after recompiling."""
    kl = s.kl
    base = kl.Sequential([kl.Input((4,)), kl.layers.Dense(6), kl.layers.BatchNormalization()], name="base")
    model = kl.Sequential([kl.Input((4,)), base, kl.layers.Dense(1)])
    s.start(model)
    base.trainable = False
    model.compile(optimizer=kl.optimizers.SGD(0.05), loss="mse")
    first = model.fit(s.d["x"], s.d["y"], epochs=1, batch_size=16, shuffle=False, verbose=0)
    base.trainable = True
    model.compile(optimizer=kl.optimizers.SGD(0.01), loss="mse")
    second = model.fit(s.d["x"], s.d["y"], epochs=1, batch_size=16, shuffle=False, verbose=0)
    s.out["history"] = {"first": first.history["loss"], "second": second.history["loss"]}
    s.out["weights"] = model.get_weights()


CASES = [
    _bn_case("BatchNormalization/trained"),
    _bn_case("BatchNormalization/momentum_epsilon", momentum=0.5, epsilon=0.01),
    _bn_case("BatchNormalization/no_center_scale", center=False, scale=False),
    _bn_case("BatchNormalization/frozen_layer", freeze="layer"),
    _bn_case("BatchNormalization/frozen_base_model", freeze="model"),
    _conv_bn("BatchNormalization/conv"),
    _conv_bn("BatchNormalization/conv_momentum", momentum=0.8),
    Case("normalization/BatchNormalization/axis1", _bn_axis1_program, _sequence_data),
    Case("normalization/BatchNormalization/fine_tuning_two_phases", _frozen_then_unfrozen, _data),
    _layer_norm("LayerNormalization/default"),
    _layer_norm("LayerNormalization/epsilon_no_center", epsilon=0.1, center=False),
    Case("normalization/Dropout/inference", _dropout_program, _data),
]
