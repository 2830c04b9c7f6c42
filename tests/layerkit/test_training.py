"""Training: compile resolution per output, losses with weights, data handling, errors, progress output."""
import warnings

import numpy as np
import pytest

from layerkit import optimizers
from layerkit.layers.core import Dense
from layerkit.layers.input_layer import Input
from layerkit.models import Model, Sequential
from layerkit.training.data import Sequence
from layerkit.utils import set_random_seed


def _fixed_dense(units, in_dim, **kwargs):
    layer = Dense(units, **kwargs)
    layer.build((None, in_dim))
    layer.set_weights([np.linspace(-1, 1, in_dim * units, dtype="float32").reshape(in_dim, units),
                       np.full(units, 0.5, "float32")])
    return layer


def _blobs(n=400, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = (x[:, 0] - x[:, 1] > 0).astype("int32")
    return x, y


def _classifier():
    return Sequential([Dense(16, activation="relu", input_shape=(4,)), Dense(2, activation="softmax")])


def test_fit_reaches_accuracy_and_history_keys():
    x, y = _blobs()
    model = _classifier()
    model.compile(optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=32, epochs=8, verbose=0, validation_split=0.25)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert history.history["val_accuracy"][-1] > 0.9
    loss, accuracy = model.evaluate(x, y, verbose=0)
    assert accuracy > 0.9 and loss < history.history["loss"][0]


def _two_heads():
    a, b = Input(shape=(2,), name="a"), Input(shape=(3,), name="b")
    reg = _fixed_dense(1, 2, name="reg")(a)
    cls = _fixed_dense(1, 3, name="cls", activation="sigmoid")(b)
    return Model([a, b], [reg, cls])


def test_multi_output_losses_weights_and_metrics_match_hand_computation():
    model = _two_heads()
    model.compile("sgd", loss={"reg": "mse", "cls": "binary_crossentropy"}, loss_weights={"reg": 0.5, "cls": 2.0},
                  metrics={"cls": ["accuracy"], "reg": ["mae"]})
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(6, 2)).astype("float32"), rng.normal(size=(6, 3)).astype("float32")
    y_reg, y_cls = rng.normal(size=(6, 1)).astype("float32"), (rng.random((6, 1)) > 0.5).astype("float32")
    logs = model.evaluate({"a": a, "b": b}, [y_reg, y_cls], batch_size=4, verbose=0, return_dict=True)
    assert list(logs) == ["loss", "reg_loss", "cls_loss", "cls_accuracy", "reg_mae"]   # Keras 3's order
    reg = a @ model.get_layer("reg").get_weights()[0] + 0.5
    cls = 1 / (1 + np.exp(-(b @ model.get_layer("cls").get_weights()[0] + 0.5)))
    mse = np.mean((reg - y_reg) ** 2)
    bce = np.mean(-(y_cls * np.log(cls) + (1 - y_cls) * np.log(1 - cls)))
    np.testing.assert_allclose([logs["reg_loss"], logs["cls_loss"]], [mse, bce], rtol=1e-4)
    np.testing.assert_allclose(logs["loss"], 0.5 * mse + 2.0 * bce, rtol=1e-4)
    np.testing.assert_allclose(logs["reg_mae"], np.mean(np.abs(reg - y_reg)), rtol=1e-4)
    np.testing.assert_allclose(logs["cls_accuracy"], np.mean((cls > 0.5) == y_cls), rtol=1e-6)


# (name, sample_weight, class_weight, weights applied per sample)
WEIGHTING = [
    ("sample_weight", np.array([1, 2, 0, 1], "float32"), None, np.array([1, 2, 0, 1])),
    ("class_weight", None, {0: 0.5, 1: 3.0}, np.array([0.5, 3.0, 3.0, 0.5])),
    ("both", np.array([2, 1, 1, 0], "float32"), {0: 0.5, 1: 3.0}, np.array([1.0, 3.0, 3.0, 0.0])),
]


@pytest.mark.parametrize("name,sample_weight,class_weight,applied", WEIGHTING, ids=[w[0] for w in WEIGHTING])
def test_sample_and_class_weights_scale_the_loss(name, sample_weight, class_weight, applied):
    model = Sequential([_fixed_dense(2, 3, activation="softmax")])
    model.compile(optimizers.SGD(0.0), "categorical_crossentropy")
    x = np.arange(12, dtype="float32").reshape(4, 3) / 10
    y = np.eye(2, dtype="float32")[[0, 1, 1, 0]]
    kernel, bias = model.layers[0].get_weights()
    logits = x @ kernel + bias
    p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    per_sample = -np.log((p * y).sum(-1))
    loss = model.train_on_batch(x, y, sample_weight=sample_weight, class_weight=class_weight)
    np.testing.assert_allclose(loss, np.sum(per_sample * applied) / 4, rtol=1e-5)


def test_regularizer_and_constraint_enter_the_training_step():
    model = Sequential([_fixed_dense(2, 3, kernel_regularizer="l2", kernel_constraint="non_neg")])
    model.compile(optimizers.SGD(0.1), "mse")
    x, y = np.ones((4, 3), "float32"), np.zeros((4, 2), "float32")
    kernel, bias = model.layers[0].get_weights()
    expected = np.mean((x @ kernel + bias) ** 2) + 0.01 * np.sum(kernel ** 2)
    np.testing.assert_allclose(model.test_on_batch(x, y), expected, rtol=1e-5)
    model.train_on_batch(x, y)
    assert (model.layers[0].get_weights()[0] >= 0).all()


def test_validation_split_holds_out_the_last_fraction():
    model = Sequential([_fixed_dense(1, 2)])
    model.compile(optimizers.SGD(0.0), "mse")
    x = np.arange(20, dtype="float32").reshape(10, 2)
    y = np.zeros((10, 1), "float32")
    history = model.fit(x, y, epochs=1, batch_size=3, validation_split=0.3, verbose=0, shuffle=False)
    np.testing.assert_allclose(history.history["val_loss"][0], model.evaluate(x[7:], y[7:], verbose=0), rtol=1e-6)
    np.testing.assert_allclose(history.history["loss"][0], model.evaluate(x[:7], y[:7], verbose=0), rtol=1e-6)


class Batches(Sequence):
    def __init__(self):
        self.x, self.y = _blobs(96)
        self.epochs_ended = 0

    def __len__(self):
        return 3

    def __getitem__(self, index):
        return self.x[32 * index:32 * (index + 1)], self.y[32 * index:32 * (index + 1)]

    def on_epoch_end(self):
        self.epochs_ended += 1


def _generator():
    x, y = _blobs(96)
    while True:
        for k in range(3):
            yield x[32 * k:32 * (k + 1)], y[32 * k:32 * (k + 1)]


@pytest.mark.parametrize("source", ["sequence", "generator"])
def test_fit_on_generators_and_sequences(source):
    model = _classifier()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["acc"])
    data = Batches() if source == "sequence" else _generator()
    seen = []
    from layerkit.callbacks import LambdaCallback
    counter = LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(batch))
    steps = None if source == "sequence" else 3
    history = model.fit(data, epochs=2, steps_per_epoch=steps, verbose=0, callbacks=[counter],
                        validation_data=Batches())
    assert seen == [0, 1, 2, 0, 1, 2] and "val_acc" in history.history
    if source == "sequence":
        assert data.epochs_ended == 2
    assert model.predict(Batches(), verbose=0).shape == (96, 2)


def test_subclassed_model_builds_on_first_fit():
    class Net(Model):
        def __init__(self):
            super().__init__(name="net")
            self.hidden = Dense(8, activation="relu")
            self.out = Dense(2, activation="softmax")

        def call(self, inputs):
            return self.out(self.hidden(inputs))

    x, y = _blobs()
    set_random_seed(0)   # initial weights independent of which tests ran before
    model = Net()
    model.compile(optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=4, batch_size=32, verbose=0)
    assert history.history["accuracy"][-1] > 0.85 and len(model.trainable_weights) == 4


# (name, call, message fragment)
ERRORS = [
    ("sample_counts", lambda m: m.fit(np.zeros((5, 4)), np.zeros(6, "int32"), verbose=0),
     "input 'dense_input' has 5 samples"),
    ("input_count", lambda m: m.fit([np.zeros((5, 4)), np.zeros((5, 4))], np.zeros(5), verbose=0),
     "1 input"),
    ("input_shape", lambda m: m.predict(np.zeros((5, 3))), "expected arrays of shape \\(None, 4\\)"),
    ("sparse_labels_categorical_loss", lambda m: (m.compile("sgd", "categorical_crossentropy"),
                                                  m.fit(np.zeros((5, 4)), np.zeros(5, "int32"), verbose=0)),
     "sparse_categorical_crossentropy"),
    ("not_compiled", lambda m: (setattr(m, "_compile_args", None), m.train_on_batch(np.zeros((2, 4)), np.zeros(2))),
     "call compile"),
]


@pytest.mark.parametrize("name,call,message", ERRORS, ids=[e[0] for e in ERRORS])
def test_data_errors_are_one_clear_sentence(name, call, message):
    model = Sequential([Dense(2, activation="softmax", input_shape=(4,), name="dense")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    with pytest.raises((ValueError, RuntimeError), match=message):
        call(model)


def test_trainable_is_honoured_and_changes_after_compile_warn():
    model = Sequential([_fixed_dense(2, 3, name="frozen"), _fixed_dense(1, 2, name="head")])
    model.get_layer("frozen").trainable = False
    model.compile(optimizers.SGD(0.1), "mse")
    before = model.get_layer("frozen").get_weights()
    model.train_on_batch(np.ones((2, 3), "float32"), np.ones((2, 1), "float32"))
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_layer("frozen").get_weights()))
    with pytest.warns(UserWarning, match="changed after compile"):
        model.get_layer("frozen").trainable = True
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.get_layer("head").trainable = False   # warned once already


@pytest.mark.parametrize("verbose,interactive,lines", [(2, False, 3), (1, False, 3), (0, False, 0), (2, True, 3)])
def test_progress_prints_one_line_per_epoch_when_not_interactive(verbose, interactive, lines, capsys,
                                                                 monkeypatch):
    import sys
    x, y = _blobs(64)
    model = _classifier()
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    monkeypatch.setattr(sys.stdout, "isatty", lambda: interactive, raising=False)
    model.fit(x, y, epochs=3, batch_size=16, verbose=verbose)
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == lines
    if lines:
        assert out[0].startswith("Epoch 1/3") and "loss: " in out[0] and "accuracy: " in out[0]


def test_progress_bar_when_interactive(capsys, monkeypatch):
    import sys
    x, y = _blobs(64)
    model = _classifier()
    model.compile("sgd", "sparse_categorical_crossentropy")
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    model.fit(x, y, epochs=2, batch_size=16, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "4/4" in out and "loss=" not in out and "loss: " in out


def test_stateful_metrics_initial_epoch_and_batch_shuffle():
    from layerkit import metrics
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    model = Sequential([_fixed_dense(1, 3, activation="sigmoid")])
    model.compile(optimizers.SGD(0.0), "binary_crossentropy", metrics=[metrics.Precision(), "accuracy"])
    history = model.fit(x, y, epochs=3, initial_epoch=1, batch_size=7, shuffle="batch", verbose=0)
    assert history.epoch == [1, 2]
    p = model.predict(x, verbose=0) > 0.5
    precision = np.sum(p & (y > 0)) / np.sum(p)
    np.testing.assert_allclose(history.history["precision"], [precision] * 2, rtol=1e-6)
    np.testing.assert_allclose(history.history["accuracy"][-1], np.mean(p == (y > 0)), rtol=1e-6)


def test_model_add_loss_and_training_flag():
    from layerkit.layers.core import Dropout
    import layerkit_backend.tensor as T
    inputs = Input(shape=(3,))
    hidden = _fixed_dense(2, 3)(inputs)
    model = Model(inputs, Dropout(0.5)(hidden))
    model.add_loss(T.mean(hidden ** 2))
    model.compile(optimizers.SGD(0.0), "mse")
    x, y = np.ones((8, 3), "float32"), np.zeros((8, 2), "float32")
    h = x @ model.layers[1].get_weights()[0] + 0.5
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), 2 * np.mean(h ** 2), rtol=1e-5)
    np.testing.assert_allclose(model.predict(x, verbose=0), h, rtol=1e-6)
    assert not np.isclose(model.train_on_batch(x, y), 2 * np.mean(h ** 2))   # dropout active in training
