"""Every metric against the target shapes it accepts, and how 'accuracy' resolves (Keras 3: from the shapes of
the targets and the output, not from the loss)."""
from .programs import LABELS, UNIT, WIDE, dense_case, named


def _only(shapes, *tags):
    return {tag: shapes[tag] for tag in tags}


BCE, CCE, SCCE, MSE = (named("binary_crossentropy"), named("categorical_crossentropy"),
                       named("sparse_categorical_crossentropy"), named("mse"))

# name, metrics (kl -> identifier each), loss, target family, activation, units, shapes
ROWS = [
    # 'accuracy' resolved from the shapes
    ("accuracy_bce", [named("accuracy")], BCE, "binary", "sigmoid", 1, UNIT),
    ("accuracy_bce_multilabel", [named("accuracy")], BCE, "binary", "sigmoid", 3, WIDE),
    ("accuracy_cce", [named("accuracy")], CCE, "onehot", "softmax", 3, WIDE),
    ("accuracy_scce", [named("accuracy")], SCCE, "label", "softmax", 3, LABELS),
    ("accuracy_mse_binary", [named("accuracy")], MSE, "binary", "sigmoid", 1, _only(UNIT, "n", "n1")),
    ("acc_spelling", [named("acc")], BCE, "binary", "sigmoid", 1, _only(UNIT, "n", "nT1")),
    ("Accuracy_exact", [lambda kl: kl.metrics.Accuracy()], MSE, "binary", "sigmoid", 1, _only(UNIT, "n", "n1")),
    # accuracy metrics by name and as objects
    ("binary_accuracy", [named("binary_accuracy")], BCE, "binary", "sigmoid", 1, UNIT),
    ("binary_accuracy", [named("binary_accuracy")], BCE, "binary", "sigmoid", 3, WIDE),
    ("BinaryAccuracy_threshold", [lambda kl: kl.metrics.BinaryAccuracy(threshold=0.3)], BCE, "binary",
     "sigmoid", 1, _only(UNIT, "n", "n1")),
    ("categorical_accuracy", [named("categorical_accuracy")], CCE, "onehot", "softmax", 3, WIDE),
    ("sparse_categorical_accuracy", [named("sparse_categorical_accuracy")], SCCE, "label", "softmax", 3, LABELS),
    ("TopK", [lambda kl: kl.metrics.TopKCategoricalAccuracy(k=2)], CCE, "onehot", "softmax", 3, WIDE),
    ("SparseTopK", [lambda kl: kl.metrics.SparseTopKCategoricalAccuracy(k=2)], SCCE, "label", "softmax", 3,
     _only(LABELS, "n", "n1")),
    # regression metrics by name
    ("mse_mae", [named("mse"), named("mae")], MSE, "real", None, 1, UNIT),
    ("mape_msle", [named("mape"), named("msle")], MSE, "positive", "softplus", 1, UNIT),
    ("cosine_similarity", [named("cosine_similarity")], MSE, "real", None, 3, WIDE),
    ("cosine_similarity", [named("cosine_similarity")], MSE, "real", None, 1, _only(UNIT, "n", "n1")),
    ("hinge_metrics", [named("hinge"), named("squared_hinge")], named("hinge"), "binary", "tanh", 1, UNIT),
    ("categorical_hinge", [named("categorical_hinge")], CCE, "onehot", "softmax", 3, WIDE),
    ("poisson_kld", [named("poisson"), named("kl_divergence")], MSE, "prob", "sigmoid", 1,
     _only(UNIT, "n", "n1", "nT1")),
    # (n, T) targets: Keras squeezes the output, so kl_divergence sums over time (pinned as a loss: losses/kld/nT)
    ("poisson", [named("poisson")], MSE, "prob", "sigmoid", 1, _only(UNIT, "nT")),
    ("crossentropy_metrics", [named("binary_crossentropy")], MSE, "binary", "sigmoid", 1, UNIT),
    ("crossentropy_metrics", [named("categorical_crossentropy")], MSE, "onehot", "softmax", 3, WIDE),
    ("crossentropy_metrics_sparse", [named("sparse_categorical_crossentropy")], SCCE, "label", "softmax", 3,
     LABELS),
    # metric objects
    ("RootMeanSquaredError", [lambda kl: kl.metrics.RootMeanSquaredError()], MSE, "real", None, 1, UNIT),
    ("MeanSquaredError", [lambda kl: kl.metrics.MeanSquaredError(), lambda kl: kl.metrics.MeanAbsoluteError()],
     MSE, "real", None, 1, UNIT),
    ("regression_objects", [lambda kl: kl.metrics.MeanAbsolutePercentageError(),
                            lambda kl: kl.metrics.MeanSquaredLogarithmicError(),
                            lambda kl: kl.metrics.LogCoshError(), lambda kl: kl.metrics.CosineSimilarity()],
     MSE, "positive", "softplus", 1, _only(UNIT, "n", "nT1")),
    ("probabilistic_objects", [lambda kl: kl.metrics.BinaryCrossentropy(), lambda kl: kl.metrics.Poisson(),
                               lambda kl: kl.metrics.KLDivergence()],
     BCE, "binary", "sigmoid", 1, _only(UNIT, "n", "n1")),
    ("categorical_objects", [lambda kl: kl.metrics.CategoricalCrossentropy(),
                             lambda kl: kl.metrics.CategoricalHinge()], CCE, "onehot", "softmax", 3, WIDE),
    ("SparseCategoricalCrossentropy", [lambda kl: kl.metrics.SparseCategoricalCrossentropy()], SCCE, "label",
     "softmax", 3, _only(LABELS, "n", "n1")),
    ("hinge_objects", [lambda kl: kl.metrics.Hinge(), lambda kl: kl.metrics.SquaredHinge()], named("hinge"),
     "signed", "tanh", 1, _only(UNIT, "n1")),
    # confusion-count metrics
    ("auc_precision_recall", [lambda kl: kl.metrics.AUC(), lambda kl: kl.metrics.Precision(),
                              lambda kl: kl.metrics.Recall()], BCE, "binary", "sigmoid", 1, UNIT),
    ("metric_objects_by_name", [named("AUC"), named("precision"), named("root_mean_squared_error")], BCE, "binary",
     "sigmoid", 1, _only(UNIT, "n1")),
    ("auc_thresholds", [lambda kl: kl.metrics.AUC(num_thresholds=20, curve="PR")], BCE, "binary", "sigmoid", 1,
     _only(UNIT, "n1")),
    ("precision_threshold", [lambda kl: kl.metrics.Precision(thresholds=0.3),
                             lambda kl: kl.metrics.Recall(thresholds=0.7)], BCE, "binary", "sigmoid", 1,
     _only(UNIT, "n")),
]

CASES = [dense_case("metrics", name, tag, make_x, width, family, loss, activation, units, metrics)
         for name, metrics, loss, family, activation, units, shapes in ROWS
         for tag, (make_x, width) in shapes.items()]
CASES += [dense_case("metrics", "weighted_metrics", tag, *UNIT[tag], "binary", BCE, "sigmoid", 1,
                     [named("accuracy"), named("mse")], weighted_metrics=[named("accuracy"), named("mse")],
                     sample_weight="samples") for tag in ("n", "n1")]
