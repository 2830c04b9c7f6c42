"""layerkit.metrics: per-sample functions vs NumPy, stateful accumulation across batches, AUC vs a NumPy
trapezoid reference, accuracy resolution."""
import numpy as np
import pytest

import layerkit_backend as lb
import layerkit_backend.tensor as T
from layerkit import losses, metrics

rng = np.random.default_rng(1)
P = rng.random((6, 4))
LABELS = np.array([0, 3, 1, 1, 2, 0])
ONEHOT = np.eye(4)[LABELS]
YB, PB = (rng.random((6, 2)) > 0.5).astype("float64"), rng.random((6, 2))


def _top_k(p, labels, k):
    return ((p > p[np.arange(len(labels)), labels][:, None]).sum(-1) < k).astype(float)


FUNCTIONS = [  # (function, kwargs, y_true, y_pred, reference)
    (metrics.binary_accuracy, {}, YB, PB, lambda y, p: (y == (p > 0.5)).mean(-1)),
    (metrics.binary_accuracy, {"threshold": 0.8}, YB, PB, lambda y, p: (y == (p > 0.8)).mean(-1)),
    (metrics.categorical_accuracy, {}, ONEHOT, P, lambda y, p: (y.argmax(-1) == p.argmax(-1)).astype(float)),
    (metrics.sparse_categorical_accuracy, {}, LABELS, P, lambda y, p: (y == p.argmax(-1)).astype(float)),
    (metrics.sparse_categorical_accuracy, {}, LABELS[:, None].astype(float), P,
     lambda y, p: (y[:, 0] == p.argmax(-1)).astype(float)),
    (metrics.top_k_categorical_accuracy, {"k": 2}, ONEHOT, P, lambda y, p: _top_k(p, y.argmax(-1), 2)),
    (metrics.sparse_top_k_categorical_accuracy, {"k": 3}, LABELS, P, lambda y, p: _top_k(p, y, 3)),
    (metrics.mse, {}, ONEHOT, P, lambda y, p: ((y - p) ** 2).mean(-1)),
    (metrics.mae, {}, ONEHOT, P, lambda y, p: np.abs(y - p).mean(-1)),
]


@pytest.mark.parametrize("fn,kwargs,y,p,reference", FUNCTIONS, ids=[f"{c[0].__name__}-{i}"
                                                                      for i, c in enumerate(FUNCTIONS)])
def test_metric_function_matches_numpy(fn, kwargs, y, p, reference):
    y_var = T.tensor(str(y.dtype), shape=(None,) * y.ndim, name="y")
    p_var = T.dmatrix("p")
    value = lb.function([y_var, p_var], fn(y_var, p_var, **kwargs))(y, p)
    np.testing.assert_allclose(value, reference(y, p))


def _run(metric, batches, with_weights=False):
    """Feed batches through one compiled update function; return the results after each batch."""
    y, p = T.dmatrix("y"), T.dmatrix("p")
    w = T.dvector("w")
    updates = metric.update_state(y, p, sample_weight=w if with_weights else None)
    f = lb.function([y, p, w], metric.result(dict(updates)), updates=updates, on_unused_input="ignore")
    return [np.asarray(f(yb, pb, wb)) for yb, pb, wb in batches]


BATCHES = [(ONEHOT[:3], P[:3], np.array([1.0, 2.0, 0.0])), (ONEHOT[3:], P[3:], np.array([0.5, 1.0, 1.0]))]


def _weighted_mean(values, weights):
    return (values * weights).sum() / weights.sum()


STATEFUL = [  # (metric factory, per-sample reference)
    (metrics.CategoricalAccuracy, lambda y, p: (y.argmax(-1) == p.argmax(-1)).astype(float)),
    (metrics.MeanSquaredError, lambda y, p: ((y - p) ** 2).mean(-1)),
    (metrics.MeanAbsoluteError, lambda y, p: np.abs(y - p).mean(-1)),
    (lambda: metrics.TopKCategoricalAccuracy(k=2), lambda y, p: _top_k(p, y.argmax(-1), 2)),
    (lambda: metrics.MeanMetricWrapper(losses.categorical_crossentropy, name="cce"),
     lambda y, p: -(y * np.log(np.clip(p / p.sum(-1, keepdims=True), 1e-7, 1))).sum(-1)),
]


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("factory,reference", STATEFUL)
def test_stateful_metric_accumulates_across_batches(factory, reference, weighted):
    metric = factory()
    results = _run(metric, BATCHES, with_weights=weighted)
    seen_v, seen_w = [], []
    for (yb, pb, wb), result in zip(BATCHES, results):
        seen_v.append(reference(yb, pb))
        seen_w.append(wb if weighted else np.ones(len(yb)))
        np.testing.assert_allclose(result, _weighted_mean(np.concatenate(seen_v), np.concatenate(seen_w)),
                                   rtol=1e-5)
    np.testing.assert_allclose(np.asarray(metric.result()), results[-1], rtol=1e-6)  # the variables hold it too
    metric.reset_state()
    assert float(np.asarray(metric.result())) == 0.0


def _confusion(y, p, thresholds):
    pred = p.ravel()[None, :] > np.asarray(thresholds)[:, None]
    pos = y.ravel()[None, :] > 0
    return ((pred & pos).sum(1), (pred & ~pos).sum(1), (~pred & ~pos).sum(1), (~pred & pos).sum(1))


def _auc_reference(y, p, num_thresholds, curve):
    thresholds = [-1e-7] + [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)] + [1 + 1e-7]
    tp, fp, tn, fn = (c.astype(float) for c in _confusion(y, p, thresholds))
    if curve == "ROC":
        x, h = fp / (fp + tn), tp / (tp + fn)
        return np.sum((x[:-1] - x[1:]) * (h[:-1] + h[1:]) / 2)
    # PR by the same interpolation written directly: precision is linear in tp between thresholds
    total = 0.0
    for i in range(num_thresholds - 1):
        dtp, p0, p1 = tp[i] - tp[i + 1], tp[i] + fp[i], tp[i + 1] + fp[i + 1]
        if p0 - p1 <= 0 or tp[i + 1] + fn[i + 1] <= 0:
            continue
        slope = dtp / (p0 - p1)
        intercept = tp[i + 1] - slope * p1
        ratio = p0 / p1 if p0 > 0 and p1 > 0 else 1.0
        total += slope * (dtp + intercept * np.log(ratio)) / (tp[i + 1] + fn[i + 1])
    return total


def _exact_roc_auc(y, p):
    pos, neg = p[y > 0], p[y == 0]
    return ((pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean())


@pytest.mark.parametrize("curve,num_thresholds", [("ROC", 200), ("ROC", 7), ("PR", 200), ("PR", 11)])
def test_auc_matches_numpy_reference(curve, num_thresholds):
    y = (rng.random((40, 1)) > 0.4).astype("float64")
    p = np.clip(0.35 * y + 0.65 * rng.random((40, 1)), 0, 1)
    metric = metrics.AUC(num_thresholds=num_thresholds, curve=curve)
    batches = [(y[:25], p[:25], None), (y[25:], p[25:], None)]
    result = _run(metric, [(a, b, np.ones(len(a))) for a, b, _ in batches])[-1]
    np.testing.assert_allclose(result, _auc_reference(y, p, num_thresholds, curve), rtol=1e-5, atol=1e-7)
    if curve == "ROC" and num_thresholds == 200:
        assert abs(result - _exact_roc_auc(y.ravel(), p.ravel())) < 0.02


@pytest.mark.parametrize("cls,reference", [
    (metrics.Precision, lambda tp, fp, tn, fn: tp / (tp + fp)),
    (metrics.Recall, lambda tp, fp, tn, fn: tp / (tp + fn)),
])
def test_precision_recall_accumulate(cls, reference):
    results = _run(cls(), [(YB[:3], PB[:3], np.ones(3)), (YB[3:], PB[3:], np.ones(3))])
    counts = [c[0] for c in _confusion(YB, PB, [0.5])]
    np.testing.assert_allclose(results[-1], reference(*counts))
    several = cls(thresholds=[0.3, 0.7])
    y, p = T.dmatrix("y"), T.dmatrix("p")
    ups = several.update_state(y, p)
    value = lb.function([y, p], several.result(dict(ups)), updates=ups)(YB, PB)
    expected = [reference(*[c[i] for c in _confusion(YB, PB, [0.3, 0.7])]) for i in range(2)]
    np.testing.assert_allclose(value, expected)


RESOLVE = [  # (target shape, output shape, expected): Keras 3's rule, pinned against Keras by the conformance
    # suite (tests/conformance/keras, cases metrics/accuracy_*)
    ((None, 3), (None, 3), metrics.categorical_accuracy),      # several sigmoid units: categorical, as Keras 3
    ((None,), (None, 1), metrics.binary_accuracy),
    ((None, 1), (None, 1), metrics.binary_accuracy),
    ((None, None, 1), (None, None, 1), metrics.binary_accuracy),
    ((None,), (None, 10), metrics.sparse_categorical_accuracy),
    ((None, 1), (None, 10), metrics.sparse_categorical_accuracy),
    ((None, None), (None, None, 10), metrics.sparse_categorical_accuracy),
    ((None, 10), (None, 10), metrics.categorical_accuracy),
]


@pytest.mark.parametrize("target,output,expected", RESOLVE)
def test_accuracy_marker_resolves_from_the_shapes(target, output, expected):
    marker = metrics.get("acc")
    assert isinstance(marker, metrics.AccuracyMarker) and marker.name == "acc"
    y_true, y_pred = T.tensor("float32", shape=target), T.tensor("float32", shape=output)
    assert metrics.resolve_accuracy(y_true, y_pred) is expected


def test_get_serialize_round_trip():
    auc = metrics.get({"class_name": "AUC", "config": {"num_thresholds": 50, "curve": "PR", "name": "pr"}})
    assert auc.name == "pr" and auc.num_thresholds == 50 and auc.curve == "PR"
    again = metrics.deserialize(metrics.serialize(auc))
    assert again.get_config() == auc.get_config()
    assert metrics.get("mae") is metrics.mean_absolute_error
    assert isinstance(metrics.get("CategoricalAccuracy"), metrics.CategoricalAccuracy)
    with pytest.raises(ValueError, match="accuracy"):
        metrics.get("nope")
