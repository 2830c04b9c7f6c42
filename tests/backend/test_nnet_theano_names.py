"""Theano's one-hot cross-entropy helpers and the hierarchical softmax, against NumPy references."""
import numpy as np
import pytest

import layerkit_backend.tensor as T
import layerkit_backend.tensor.nnet as nnet
from layerkit_backend.gradient import verify_grad


def _np_softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _np_h_softmax(x, n_outputs, n_per_class, W1, b1, W2, b2):
    class_probs = _np_softmax(x @ W1 + b1)                                   # (batch, classes)
    within = _np_softmax(np.einsum("bi,cio->bco", x, W2) + b2)              # (batch, classes, per_class)
    return (class_probs[:, :, None] * within).reshape(len(x), -1)[:, :n_outputs]


def _labels(n, classes, seed=1):
    return np.random.default_rng(seed).integers(0, classes, n)


CE_ROWS = [  # (name, build(x, b, y) -> outputs, reference(x, b, y) -> outputs)
    ("crossentropy_softmax_1hot", lambda x, b, y: nnet.crossentropy_softmax_1hot(x, y),
     lambda x, b, y: (-np.log(_np_softmax(x)[np.arange(len(y)), y]), _np_softmax(x))),
    ("crossentropy_softmax_1hot_with_bias", nnet.crossentropy_softmax_1hot_with_bias,
     lambda x, b, y: (-np.log(_np_softmax(x + b)[np.arange(len(y)), y]), _np_softmax(x + b))),
    ("crossentropy_softmax_argmax_1hot_with_bias", nnet.crossentropy_softmax_argmax_1hot_with_bias,
     lambda x, b, y: (-np.log(_np_softmax(x + b)[np.arange(len(y)), y]), _np_softmax(x + b),
                      (x + b).argmax(-1))),
    ("crossentropy_categorical_1hot", lambda x, b, y: nnet.crossentropy_categorical_1hot(nnet.softmax(x), y),
     lambda x, b, y: -np.log(_np_softmax(x)[np.arange(len(y)), y])),
]


@pytest.mark.parametrize("name, build, reference", CE_ROWS, ids=[r[0] for r in CE_ROWS])
@pytest.mark.parametrize("rows", [1, 4, 0])
def test_one_hot_crossentropy_helpers(name, build, reference, rows):
    rng = np.random.default_rng(0)
    x, b, y = T.dmatrix("x"), T.dvector("b"), T.lvector("y")
    xv, bv, yv = rng.normal(size=(rows, 5)), rng.normal(size=5), _labels(rows, 5)
    outputs = _as_tuple(build(x, b, y))
    expected = _as_tuple(reference(xv, bv, yv))
    givens = {x: xv, b: bv, y: yv}
    for output, want in zip(outputs, expected):
        used = _ancestors(output)
        np.testing.assert_allclose(output.eval({k: v for k, v in givens.items() if k in used}), want,
                                   rtol=1e-10, atol=1e-12)
    if rows:
        verify_grad(lambda xs, bs: _as_tuple(build(xs, bs, yv))[0].sum(), [xv, bv], rng=rng)


def _as_tuple(value):
    return value if isinstance(value, tuple) else (value,)


def test_large_logits_stay_finite():
    x, y = T.dmatrix("x"), T.lvector("y")
    nll, _ = nnet.crossentropy_softmax_1hot(x, y)
    assert np.isfinite(nll.eval({x: [[1000.0, -1000.0]], y: [1]})).all()


def _ancestors(variable):
    from layerkit_backend.graph.traversal import ancestors
    return set(ancestors([variable]))


H_SHAPES = [  # (batch, n_in, n_outputs, n_classes, n_outputs_per_class)
    (5, 3, 10, 4, 3), (1, 1, 4, 2, 2), (3, 2, 6, 6, 1), (2, 4, 7, 1, 7),
]


@pytest.mark.parametrize("batch, n_in, n_outputs, n_classes, per_class", H_SHAPES)
def test_h_softmax_all_outputs_and_targets(batch, n_in, n_outputs, n_classes, per_class):
    rng = np.random.default_rng(0)
    params = [rng.normal(size=s) for s in ((n_in, n_classes), (n_classes,), (n_classes, n_in, per_class),
                                           (n_classes, per_class))]
    xv, tv = rng.normal(size=(batch, n_in)), _labels(batch, n_outputs)
    expected = _np_h_softmax(xv, n_outputs, per_class, *params)
    x, t = T.dmatrix("x"), T.lvector("t")
    every = nnet.h_softmax(x, x.shape[0], n_outputs, n_classes, per_class, *params)
    chosen = nnet.h_softmax(x, x.shape[0], n_outputs, n_classes, per_class, *params, target=t)
    np.testing.assert_allclose(every.eval({x: xv}), expected, rtol=1e-10)
    np.testing.assert_allclose(chosen.eval({x: xv, t: tv}), expected[np.arange(batch), tv], rtol=1e-10)

    def loss(xs, W1, b1, W2, b2):
        return -T.log(nnet.h_softmax(xs, xs.shape[0], n_outputs, n_classes, per_class, W1, b1, W2, b2,
                                     target=tv)).sum()

    verify_grad(loss, [xv] + params, rng=rng)


def test_h_softmax_rejects_too_few_slots():
    with pytest.raises(ValueError, match="smaller than n_outputs"):
        nnet.h_softmax(T.dmatrix("x"), 1, 10, 3, 3, *(np.zeros(1),) * 4)
