"""Utils and preprocessing: pad_sequences, to_categorical, normalize, set_random_seed, plot_model, generators."""
import doctest

import numpy as np
import pytest

import layerkit.preprocessing.sequence as sequence_module
import layerkit_backend as lb
import layerkit_backend.tensor as T
import layerkit.utils.arrays as arrays_module
import layerkit.utils.seeding as seeding_module
from layerkit import backend as K
from layerkit import initializers, utils
from layerkit.layers.core import Dense, Dropout
from layerkit.models import Sequential
from layerkit.preprocessing.sequence import TimeseriesGenerator, pad_sequences
from layerkit.utils import plotting

SEQS = [[1, 2, 3], [4, 5], [6], []]

# (case, sequences, keyword arguments, expected rows computed by hand)
PAD_ROWS = [
    ("defaults: pre/pre, longest", SEQS, {}, [[1, 2, 3], [0, 4, 5], [0, 0, 6], [0, 0, 0]]),
    ("post padding", SEQS, dict(padding="post"), [[1, 2, 3], [4, 5, 0], [6, 0, 0], [0, 0, 0]]),
    ("truncate pre", SEQS, dict(maxlen=2), [[2, 3], [4, 5], [0, 6], [0, 0]]),
    ("truncate post", SEQS, dict(maxlen=2, truncating="post"), [[1, 2], [4, 5], [0, 6], [0, 0]]),
    ("truncate post pad post", SEQS, dict(maxlen=2, truncating="post", padding="post"),
     [[1, 2], [4, 5], [6, 0], [0, 0]]),
    ("longer maxlen, value", SEQS[:2], dict(maxlen=4, value=-1), [[-1, 1, 2, 3], [-1, -1, 4, 5]]),
    ("float dtype keeps fractions", [[0.5, 1.5], [2.5]], dict(dtype="float32"), [[0.5, 1.5], [0.0, 2.5]]),
    ("int dtype truncates fractions", [[0.5, 1.5]], {}, [[0, 1]]),
    ("numpy arrays in", [np.array([7, 8]), np.array([9])], dict(padding="post"), [[7, 8], [9, 0]]),
    ("no sequences", [], dict(maxlen=3), np.zeros((0, 3), "int32").tolist()),
]


@pytest.mark.parametrize("case, sequences, kwargs, expected", PAD_ROWS, ids=[r[0] for r in PAD_ROWS])
def test_pad_sequences(case, sequences, kwargs, expected):
    result = pad_sequences(sequences, **kwargs)
    assert result.dtype == np.dtype(kwargs.get("dtype", "int32"))
    assert result.tolist() == expected


def test_pad_sequences_vectors_strings_and_errors():
    vectors = pad_sequences([np.ones((2, 3)), np.ones((1, 3)) * 2], dtype="float32")
    assert vectors.shape == (2, 2, 3) and vectors[1, 0].tolist() == [0, 0, 0] and vectors[1, 1, 0] == 2
    words = pad_sequences([["a", "b"], ["c"]], dtype=object, value="<pad>")
    assert words.tolist() == [["a", "b"], ["<pad>", "c"]]
    for kwargs, message in ((dict(padding="middle"), "padding"), (dict(truncating="x"), "truncating"),
                            (dict(value="pad"), "cannot hold")):
        with pytest.raises(ValueError, match=message):
            pad_sequences(SEQS, **kwargs)
    with pytest.raises(ValueError, match="non-iterable 5 at position 1"):
        pad_sequences([[1], 5])
    with pytest.raises(ValueError, match="shape of sample"):
        pad_sequences([np.ones((2, 3)), np.ones((1, 4))])


# (case, labels, num_classes, expected)
CATEGORICAL_ROWS = [
    ("vector", [0, 2, 1], None, [[1, 0, 0], [0, 0, 1], [0, 1, 0]]),
    ("num_classes", [1], 4, [[0, 1, 0, 0]]),
    ("trailing 1 dropped", [[1], [0]], None, [[0, 1], [1, 0]]),
    ("2-D labels", [[0, 1]], 2, [[[1, 0], [0, 1]]]),
    ("float integral labels", [1.0, 0.0], None, [[0, 1], [1, 0]]),
]


@pytest.mark.parametrize("case, labels, num_classes, expected", CATEGORICAL_ROWS,
                         ids=[r[0] for r in CATEGORICAL_ROWS])
def test_to_categorical(case, labels, num_classes, expected):
    result = utils.to_categorical(labels, num_classes)
    assert result.dtype == np.float32 and result.tolist() == expected


@pytest.mark.parametrize("labels, message", [([3], r"\[0, 3\)"), ([-1, 1], "labels must lie"),
                                             ([0.5], "integer class labels"), (["a"], "integer class labels")])
def test_to_categorical_errors(labels, message):
    with pytest.raises(ValueError, match=message):
        utils.to_categorical(labels, 3 if labels == [3] else None)


def test_normalize():
    np.testing.assert_allclose(utils.normalize([[3.0, 4.0], [0.0, 0.0]]), [[0.6, 0.8], [0.0, 0.0]])
    np.testing.assert_allclose(utils.normalize([[1.0, 3.0]], axis=0, order=1), [[1.0, 1.0]])


def test_set_random_seed_repeats_initial_weights_and_random_ops():
    def run():
        utils.set_random_seed(7)
        model = Sequential([Dense(3, input_shape=(2,))])
        draw = K.function([], [K.random_uniform((4,))])([])[0]
        x = T.matrix("x")
        dropped = lb.function([x], Dropout(0.5)(x, training=True))(np.ones((3, 8), "float32"))
        return model.get_weights()[0], draw, dropped, np.random.rand(), initializers.RandomNormal()((2,))

    first, second = run(), run()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="non-negative int"):
        utils.set_random_seed(-1)


def test_plot_model_dot_source_and_missing_graphviz(tmp_path, monkeypatch):
    model = Sequential([Dense(3, input_shape=(2,), name="d1"), Dense(1, name="d2")])
    source = utils.model_to_dot(model, show_shapes=True)
    assert "d1: Dense" in source and "(None, 3)" in source and source.count("->") == 2
    utils.plot_model(model, str(tmp_path / "m.dot"))
    assert (tmp_path / "m.dot").read_text() == utils.model_to_dot(model)
    monkeypatch.setattr(plotting.shutil, "which", lambda name: None)
    with pytest.raises(ImportError, match="Graphviz"):
        utils.plot_model(model, str(tmp_path / "m.png"))


def test_timeseries_generator():
    data = np.arange(10)
    gen = TimeseriesGenerator(data, data * 10, length=3, stride=2, batch_size=2)
    assert len(gen) == 2
    x, y = gen[0]
    assert x.tolist() == [[0, 1, 2], [2, 3, 4]] and y.tolist() == [30, 50]
    x, y = gen[1]
    assert x.tolist() == [[4, 5, 6], [6, 7, 8]] and y.tolist() == [70, 90]
    with pytest.raises(ValueError, match="same length"):
        TimeseriesGenerator(data, data[:3], length=2)


def test_sequence_and_registration_are_exported():
    from layerkit.layers.base import register_keras_serializable
    from layerkit.training.data import Sequence
    assert utils.Sequence is Sequence and utils.register_keras_serializable is register_keras_serializable


@pytest.mark.parametrize("module", [sequence_module, arrays_module, seeding_module])
def test_docstring_examples(module):
    assert doctest.testmod(module).failed == 0
