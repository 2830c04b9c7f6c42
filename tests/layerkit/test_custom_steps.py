"""Custom training steps: the machinery around ``train_step`` overrides (what they compute is checked against
Keras in the conformance group ``train_step``, the GAN of docs/keras3.md by tests/test_docs.py)."""
import numpy as np
import pytest

import layerkit as lk
from layerkit import backend, layers, ops


def _data(n=32):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3)).astype("float32")
    return x, (x @ np.array([[1.0], [-2.0], [0.5]], "float32"))


class Regressor(lk.Model):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tracker = lk.metrics.Mean(name="loss")
        self.traces = 0

    def train_step(self, data):
        self.traces += 1
        x, y = data
        loss = ops.mean(ops.square(self(x, training=True) - y))
        self.optimizer.apply(backend.gradients(loss, self.trainable_weights), self.trainable_weights)
        self.tracker.update_state(loss)
        return {"loss": self.tracker.result()}


def _regressor():
    x = lk.Input((3,))
    model = Regressor(x, layers.Dense(1)(x))
    model.compile(optimizer=lk.optimizers.SGD(0.1))
    return model


def test_a_step_is_traced_once_and_reused_across_fit_calls_and_batch_sizes():
    model = _regressor()
    x, y = _data()
    first = model.fit(x, y, epochs=3, batch_size=5, verbose=0).history["loss"]
    model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    assert model.traces == 1
    assert first[-1] < first[0] / 4


def test_the_tracked_metric_restarts_every_epoch_and_is_listed_in_metrics():
    model = _regressor()
    x, y = _data()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert [m.name for m in model.metrics] == ["loss", "loss"]   # compile's tracker, then the model's own
    before = float(np.mean(np.square(model.predict(x, verbose=0) - y)))
    last = model.train_on_batch(x, y, return_dict=True)            # this batch only, before its update
    assert last["loss"] == pytest.approx(before, rel=1e-5)


def test_a_step_must_return_a_dict():
    class Broken(Regressor):
        def train_step(self, data):
            return 1.0

    x = lk.Input((3,))
    model = Broken(x, layers.Dense(1)(x))
    model.compile(optimizer="sgd")
    with pytest.raises(TypeError, match="train_step must return a dict of logs, received float"):
        model.fit(*_data(), verbose=0)


def test_custom_steps_refuse_a_distribution_strategy():
    from layerkit.distribute import MPIStrategy

    x = lk.Input((3,))
    model = Regressor(x, layers.Dense(1)(x))
    with pytest.raises(ValueError, match="cannot use it"):
        model.compile(optimizer="sgd", strategy=MPIStrategy())


def test_a_pydataset_feeds_a_custom_step_in_order():
    x, y = _data(24)

    class Batches(lk.utils.PyDataset):
        def __init__(self):
            super().__init__(workers=2)
            self.epochs_begun, self.order = 0, []

        def __len__(self):
            return 3

        def __getitem__(self, index):
            self.order.append(index)
            return x[index * 8:(index + 1) * 8], y[index * 8:(index + 1) * 8]

        def on_epoch_begin(self):
            self.epochs_begun += 1

    batches = Batches()
    model = _regressor()
    model.fit(batches, epochs=2, verbose=0)
    assert batches.epochs_begun == 2 and batches.order == [0, 1, 2, 0, 1, 2]


def test_clone_model_copies_the_architecture_with_new_weights():
    a, b = lk.Input((3,), name="a"), lk.Input((2,), name="b")
    merged = layers.Concatenate()([layers.Dense(4, name="da")(a), b])
    model = lk.Model([a, b], layers.Dense(1, name="out")(merged))
    twin = lk.models.clone_model(model)
    assert [l.name for l in twin.layers] == [l.name for l in model.layers]
    assert all(t is not m for t, m in zip(twin.layers, model.layers))
    twin.set_weights(model.get_weights())
    xs = [np.ones((2, 3), "float32"), np.ones((2, 2), "float32")]
    np.testing.assert_array_equal(twin.predict(xs, verbose=0), model.predict(xs, verbose=0))
    renamed = lk.models.clone_model(model, clone_function=lambda layer: type(layer).from_config(
        {**layer.get_config(), "name": layer.name + "_copy"}))
    assert [l.name for l in renamed.layers][-1] == "out_copy"


def test_progbar_averages_values_over_steps():
    import io

    stream = io.StringIO()
    bar = lk.utils.Progbar(10, verbose=2, stateful_metrics=["acc"], stream=stream)
    bar.update(4, [("loss", 1.0), ("acc", 0.5)])
    bar.add(6, [("loss", 2.0), ("acc", 0.9)])
    assert bar.average("loss") == pytest.approx(1.6) and bar.average("acc") == 0.9
    assert "10/10" in stream.getvalue() and "loss: 1.6000" in stream.getvalue()


def test_custom_object_scope_and_get_custom_objects():
    class Twice(layers.Layer):
        def call(self, inputs):
            return 2 * inputs

    with lk.utils.custom_object_scope({"Twice": Twice}):
        assert lk.utils.get_custom_objects()["Twice"] is Twice
    assert "Twice" not in lk.utils.get_custom_objects()


def test_a_keras_2_sequence_is_still_shuffled_by_batch():
    x, y = _data(32)
    order = []

    class Batches(lk.utils.Sequence):
        def __len__(self):
            return 8

        def __getitem__(self, index):
            order.append(index)
            return x[index * 4:(index + 1) * 4], y[index * 4:(index + 1) * 4]

    model = _regressor()
    model.fit(Batches(), epochs=1, verbose=0)
    assert sorted(order) == list(range(8)) and order != list(range(8))
