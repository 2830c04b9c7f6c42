"""Custom training steps as Keras 3 users write them: ``train_step``, ``test_step``, ``compute_loss`` and
``compute_metrics`` overrides written with ``kl.ops``, metrics tracked as model attributes, and a GAN-style step
with two models and two optimizers.

A ``train_step`` needs gradients, which Keras 3 takes from its backend (``jax.grad``, ``tf.GradientTape``,
``torch.autograd``); layerkit from ``layerkit.backend.gradients``. Those two lines (:func:`_gradients`,
:func:`_apply`) are the only per-library code; the cases that use them are recorded with Keras on torch, whose
``train_step`` runs statement by statement (so an optimizer step is visible to the code after it, as in
layerkit), and so is the ``test_step`` override (on JAX Keras's steps take a state argument). The overrides
without gradients are recorded on JAX."""
import numpy as np

from keras_session import Case, train_and_report

from .data import features, targets


def _gradients(kl, loss, variables):
    if kl.__name__ == "keras":
        import torch
        return list(torch.autograd.grad(loss, [v.value for v in variables]))
    return kl.backend.gradients(loss, variables)


def _apply(kl, optimizer, grads, variables):
    if kl.__name__ == "keras":
        import torch
        with torch.no_grad():
            optimizer.apply(grads, variables)
    else:
        optimizer.apply(grads, variables)


def _data(rng):
    x = features(rng)
    return {"x": x, "y": targets("real:1", x, rng), "y_bin": targets("binary:1", x, rng),
            "real": rng.normal(loc=(1.0, -1.0), scale=0.5, size=(48, 2)).astype("float32"),
            "z1": rng.normal(size=(48, 3)).astype("float32"), "z2": rng.normal(size=(48, 3)).astype("float32")}


def _mlp(kl, cls, units=1):
    x = kl.Input((4,), name="x")
    h = kl.layers.Dense(5, activation="tanh", name="hidden")(x)
    return cls(x, kl.layers.Dense(units, name="out")(h))


# ---------------------------------------------------------------------------------------------- train_step
def _custom_train_step(s):
    kl = s.kl
    ops = kl.ops

    class Custom(kl.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.mse_tracker = kl.metrics.Mean(name="mse")
            self.mae_tracker = kl.metrics.MeanAbsoluteError(name="mae")

        def train_step(self, data):
            x, y = data
            y_pred = self(x, training=True)
            loss = ops.mean(ops.square(y_pred - y))
            variables = self.trainable_weights
            _apply(kl, self.optimizer, _gradients(kl, loss, variables), variables)
            self.mse_tracker.update_state(loss)
            self.mae_tracker.update_state(y, y_pred)
            return {"mse": self.mse_tracker.result(), "mae": self.mae_tracker.result()}

    model = _mlp(kl, Custom)
    model.compile(optimizer=kl.optimizers.SGD(0.05, momentum=0.5))
    s.start(model)
    history = model.fit(s.d["x"], s.d["y"], epochs=3, batch_size=16, shuffle=False, verbose=0)
    s.out["history"] = {k: [float(v) for v in values] for k, values in history.history.items()}
    s.out["metric_names"] = [m.name for m in model.metrics]
    s.out["weights"] = model.get_weights()
    s.out["predict"] = model.predict(s.d["x"][:8], verbose=0)


def _two_steps_on_one_model(s):
    """Two optimizer steps in one train_step: the second loss and gradient see the first step's weights."""
    kl = s.kl
    ops = kl.ops

    class TwoSteps(kl.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.first = kl.metrics.Mean(name="first")
            self.second = kl.metrics.Mean(name="second")

        def compile(self, optimizer, second_optimizer):
            super().compile(optimizer=optimizer)
            self.second_optimizer = second_optimizer

        def train_step(self, data):
            x, y = data
            variables = self.trainable_weights
            loss = ops.mean(ops.square(self(x, training=True) - y))
            _apply(kl, self.optimizer, _gradients(kl, loss, variables), variables)
            again = ops.mean(ops.abs(self(x, training=True) - y))
            _apply(kl, self.second_optimizer, _gradients(kl, again, variables), variables)
            self.first.update_state(loss)
            self.second.update_state(again)
            return {"first": self.first.result(), "second": self.second.result()}

    model = _mlp(kl, TwoSteps)
    model.compile(kl.optimizers.Adam(0.02), kl.optimizers.SGD(0.05))
    s.start(model)
    history = model.fit(s.d["x"], s.d["y"], epochs=2, batch_size=16, shuffle=False, verbose=0)
    s.out["history"] = {k: [float(v) for v in values] for k, values in history.history.items()}
    s.out["weights"] = model.get_weights()


def _gan(s):
    """The GAN of Keras's guide, with the latent vectors given as data so that both libraries use the same."""
    kl = s.kl
    ops = kl.ops

    class GAN(kl.Model):
        def __init__(self, discriminator, generator):
            super().__init__()
            self.discriminator, self.generator = discriminator, generator
            self.d_loss_tracker = kl.metrics.Mean(name="d_loss")
            self.g_loss_tracker = kl.metrics.Mean(name="g_loss")

        def compile(self, d_optimizer, g_optimizer, loss_fn):
            super().compile()
            self.d_optimizer, self.g_optimizer, self.loss_fn = d_optimizer, g_optimizer, loss_fn

        @property
        def metrics(self):
            return [self.d_loss_tracker, self.g_loss_tracker]

        def train_step(self, data):
            real, z1, z2 = data[0] if isinstance(data, tuple) and len(data) == 1 else data
            batch = ops.shape(real)[0]
            fake = self.generator(z1)
            both = ops.concatenate([fake, real], axis=0)
            labels = ops.concatenate([ops.ones((batch, 1)), ops.zeros((batch, 1))], axis=0)
            d_loss = self.loss_fn(labels, self.discriminator(both))
            d_vars = self.discriminator.trainable_weights
            _apply(kl, self.d_optimizer, _gradients(kl, d_loss, d_vars), d_vars)
            g_loss = self.loss_fn(ops.zeros((batch, 1)), self.discriminator(self.generator(z2)))
            g_vars = self.generator.trainable_weights
            _apply(kl, self.g_optimizer, _gradients(kl, g_loss, g_vars), g_vars)
            self.d_loss_tracker.update_state(d_loss)
            self.g_loss_tracker.update_state(g_loss)
            return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}

    discriminator = kl.Sequential([kl.Input((2,)), kl.layers.Dense(6, activation="relu"), kl.layers.Dense(1)],
                                  name="discriminator")
    generator = kl.Sequential([kl.Input((3,)), kl.layers.Dense(6, activation="relu"), kl.layers.Dense(2)],
                              name="generator")
    s.start(discriminator, key="discriminator")
    s.start(generator, key="generator")
    gan = GAN(discriminator, generator)
    gan.built = True   # its sub-models are built; Keras would otherwise try to build it by calling it
    gan.compile(kl.optimizers.Adam(0.01), kl.optimizers.Adam(0.01), kl.losses.BinaryCrossentropy(from_logits=True))
    history = gan.fit([s.d["real"], s.d["z1"], s.d["z2"]], epochs=3, batch_size=16, shuffle=False, verbose=0)
    s.out["history"] = {k: [float(v) for v in values] for k, values in history.history.items()}
    s.out["discriminator"] = discriminator.get_weights()
    s.out["generator"] = generator.get_weights()


# ---------------------------------------------------------------------------------------------- overrides
def _compute_loss_override(s):
    kl = s.kl
    ops = kl.ops

    class Penalised(kl.Model):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            loss = super().compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=training)
            return loss + 0.1 * ops.mean(ops.abs(y_pred))

    model = _mlp(kl, Penalised)
    model.compile(optimizer=kl.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
    train_and_report(s, model, s.d["x"], s.d["y"])


def _compute_metrics_override(s):
    kl = s.kl
    ops = kl.ops

    class Extra(kl.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.magnitude = kl.metrics.Mean(name="magnitude")

        def compute_metrics(self, x, y, y_pred, sample_weight=None):
            results = super().compute_metrics(x, y, y_pred, sample_weight)
            self.magnitude.update_state(ops.abs(y_pred))
            results["magnitude"] = self.magnitude.result()
            return results

    model = _mlp(kl, Extra)
    model.compile(optimizer=kl.optimizers.SGD(0.05), loss="binary_crossentropy", metrics=["accuracy"])
    s.start(model)
    history = model.fit(s.d["x"], s.d["y_bin"], epochs=2, batch_size=16, shuffle=False, verbose=0)
    s.out["history"] = {k: [float(v) for v in values] for k, values in history.history.items()}
    s.out["evaluate"] = model.evaluate(s.d["x"], s.d["y_bin"], batch_size=16, verbose=0, return_dict=True)
    s.out["weights"] = model.get_weights()


def _test_step_override(s):
    kl = s.kl
    ops = kl.ops

    class Evaluated(kl.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.error = kl.metrics.Mean(name="max_error")

        def test_step(self, data):
            x, y = data
            y_pred = self(x, training=False)
            self.error.update_state(ops.max(ops.abs(y_pred - y), axis=-1))
            return {"max_error": self.error.result()}

    model = _mlp(kl, Evaluated)
    model.compile(optimizer=kl.optimizers.SGD(0.05), loss="mse")
    s.start(model)
    s.out["before"] = model.evaluate(s.d["x"], s.d["y"], batch_size=16, verbose=0, return_dict=True)
    history = model.fit(s.d["x"], s.d["y"], epochs=2, batch_size=16, shuffle=False, verbose=0,
                        validation_data=(s.d["x"][:16], s.d["y"][:16]))
    s.out["history"] = {k: [float(v) for v in values] for k, values in history.history.items()}
    s.out["after"] = model.evaluate(s.d["x"], s.d["y"], batch_size=16, verbose=0, return_dict=True)


def _keras3_metric_in_compile(s):
    """A metric subclass written the Keras 3 way (``assign_add`` in ``update_state``) given to ``compile``."""
    kl = s.kl
    ops = kl.ops

    class Agreement(kl.metrics.Metric):
        def __init__(self, name="agreement", **kwargs):
            super().__init__(name=name, **kwargs)
            self.hits = self.add_variable(shape=(), initializer="zeros", name="hits")
            self.total = self.add_variable(shape=(), initializer="zeros", name="total")

        def update_state(self, y_true, y_pred, sample_weight=None):
            hits = ops.cast(ops.equal(ops.cast(y_pred > 0.5, "float32"), y_true), "float32")
            self.hits.assign_add(ops.sum(hits))
            self.total.assign_add(ops.cast(ops.size(hits), "float32"))

        def result(self):
            return self.hits / ops.maximum(self.total, 1.0)

    model = kl.Sequential([kl.Input((4,)), kl.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=kl.optimizers.SGD(0.2), loss="binary_crossentropy", metrics=[Agreement()])
    train_and_report(s, model, s.d["x"], s.d["y_bin"])


CASES = [
    Case("train_step/custom_step_tracked_metrics", _custom_train_step, _data, backend="torch"),
    Case("train_step/two_optimizer_steps_in_one", _two_steps_on_one_model, _data, backend="torch"),
    Case("train_step/gan_two_optimizers", _gan, _data, backend="torch"),
    Case("train_step/compute_loss_override", _compute_loss_override, _data),
    Case("train_step/compute_metrics_override", _compute_metrics_override, _data),
    Case("train_step/test_step_override", _test_step_override, _data, backend="torch"),   # JAX's takes state
    Case("train_step/keras3_metric_in_compile", _keras3_metric_in_compile, _data),
]
