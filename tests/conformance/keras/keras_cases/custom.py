"""Custom code as Keras 3 users write it: Layer subclasses with ``add_weight`` and ``keras.ops``, a training
flag, ``add_loss``, masks; custom loss and metric functions and a Loss subclass."""
from keras_session import Case, train_and_report

from .data import features, targets


def _data(rng):
    x = features(rng)
    return {"x": x, "y": targets("real:1", x, rng), "y_bin": targets("binary", x, rng)}


def _layers(kl):
    ops = kl.ops

    class Linear(kl.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal",
                                     trainable=True, name="w")
            self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="b")

        def call(self, inputs):
            return ops.matmul(inputs, self.w) + self.b

    class PositionalWeights(kl.layers.Layer):
        def build(self, input_shape):
            self.scale = self.add_weight((input_shape[-1],), "ones")

        def call(self, inputs):
            return inputs * self.scale

    class TrainingOnly(kl.layers.Layer):
        def call(self, inputs, training=None):
            return inputs * 0.5 if training else inputs

    class ActivityPenalty(kl.layers.Layer):
        def call(self, inputs):
            self.add_loss(0.01 * ops.sum(ops.square(inputs)))
            return inputs

    class Gated(kl.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.gate = kl.layers.Dense(units, activation="sigmoid")
            self.value = kl.layers.Dense(units, activation="tanh")

        def call(self, inputs):
            return ops.multiply(self.gate(inputs), self.value(inputs))

    return Linear, PositionalWeights, TrainingOnly, ActivityPenalty, Gated


def _layer_case(name, middle):
    def program(s):
        kl = s.kl
        model = kl.Sequential([kl.Input((4,))] + middle(kl, *_layers(kl)) + [kl.layers.Dense(1)])
        model.compile(optimizer=kl.optimizers.SGD(0.05), loss="mse")
        train_and_report(s, model, s.d["x"], s.d["y"])

    return Case(f"custom/{name}", program, _data)


def _loss_case(name, make_loss, make_metrics=lambda kl: []):
    def program(s):
        kl = s.kl
        model = kl.Sequential([kl.Input((4,)), kl.layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer=kl.optimizers.SGD(0.2), loss=make_loss(kl), metrics=make_metrics(kl))
        train_and_report(s, model, s.d["x"], s.d["y_bin"])

    return Case(f"custom/{name}", program, _data)


def _squared_loss(kl):
    def squared(y_true, y_pred):
        return kl.ops.mean(kl.ops.square(y_true - y_pred), axis=-1)
    return squared


def _loss_subclass(kl):
    class Squared(kl.losses.Loss):
        def call(self, y_true, y_pred):
            return kl.ops.mean(kl.ops.square(kl.ops.expand_dims(y_true, -1) - y_pred), axis=-1)
    return Squared()


def _metric_function(kl):
    def error_rate(y_true, y_pred):
        return kl.ops.cast(kl.ops.not_equal(kl.ops.expand_dims(y_true, -1), kl.ops.round(y_pred)), "float32")
    return [error_rate]


CASES = [
    _layer_case("Linear", lambda kl, Linear, *_: [Linear(5), kl.layers.Activation("relu")]),
    _layer_case("positional_add_weight", lambda kl, Linear, Positional, *_: [Positional(), Linear(3)]),
    _layer_case("training_flag", lambda kl, Linear, Positional, TrainingOnly, *_: [Linear(3), TrainingOnly()]),
    _layer_case("add_loss", lambda kl, Linear, Positional, TrainingOnly, Penalty, _: [Linear(3), Penalty()]),
    _layer_case("nested_layers", lambda kl, *classes: [classes[-1](4)]),
    _loss_case("loss_function", _squared_loss),
    _loss_case("loss_subclass", _loss_subclass),
    _loss_case("metric_function", lambda kl: "binary_crossentropy", _metric_function),
]
