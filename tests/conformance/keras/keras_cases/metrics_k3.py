"""Keras 3 metrics added for issue 15 (F-scores, IoU, confusion counts, R2, the 'auc'/'precision'/'recall'
strings and the metric classes named after losses), each against the target shapes it is used with."""
from .programs import LABELS, UNIT, WIDE, dense_case, named


def _only(shapes, *tags):
    return {tag: shapes[tag] for tag in tags}


BCE, CCE, SCCE, MSE = (named("binary_crossentropy"), named("categorical_crossentropy"),
                       named("sparse_categorical_crossentropy"), named("mse"))

# name, metrics (kl -> identifier each), loss, target family, activation, units, shapes
ROWS = [
    ("strings_auc_precision_recall", [named("auc"), named("precision"), named("recall")], BCE, "binary",
     "sigmoid", 1, _only(UNIT, "n", "n1")),
    ("confusion_counts", [lambda kl: kl.metrics.TruePositives(), lambda kl: kl.metrics.FalsePositives(),
                          lambda kl: kl.metrics.TrueNegatives(), lambda kl: kl.metrics.FalseNegatives()], BCE,
     "binary", "sigmoid", 1, _only(UNIT, "n1")),
    ("confusion_counts_threshold", [lambda kl: kl.metrics.TruePositives(thresholds=0.3),
                                    lambda kl: kl.metrics.FalseNegatives(thresholds=0.7)], BCE, "binary", "sigmoid",
     1, _only(UNIT, "n1")),
    ("F1Score_macro", [lambda kl: kl.metrics.F1Score(average="macro")], CCE, "onehot", "softmax", 3,
     _only(WIDE, "nk")),
    ("F1Score_micro_weighted", [lambda kl: kl.metrics.F1Score(average="micro"),
                                lambda kl: kl.metrics.F1Score(average="weighted", name="f1_weighted")], CCE,
     "onehot", "softmax", 3, _only(WIDE, "nk")),
    ("F1Score_threshold", [lambda kl: kl.metrics.F1Score(average="macro", threshold=0.4)], BCE, "binary",
     "sigmoid", 3, _only(WIDE, "nk")),
    ("FBetaScore", [lambda kl: kl.metrics.FBetaScore(average="macro", beta=2.0)], CCE, "onehot", "softmax", 3,
     _only(WIDE, "nk")),
    ("MeanIoU_one_hot", [lambda kl: kl.metrics.MeanIoU(3, sparse_y_true=False, sparse_y_pred=False)], CCE,
     "onehot", "softmax", 3, _only(WIDE, "nk")),
    ("MeanIoU_sparse", [lambda kl: kl.metrics.MeanIoU(3, sparse_y_pred=False)], SCCE, "label", "softmax", 3,
     _only(LABELS, "n")),
    ("IoU_targets", [lambda kl: kl.metrics.IoU(3, target_class_ids=[0, 2], sparse_y_pred=False)], SCCE, "label",
     "softmax", 3, _only(LABELS, "n")),
    ("OneHotIoU", [lambda kl: kl.metrics.OneHotIoU(3, target_class_ids=[1]),
                   lambda kl: kl.metrics.OneHotMeanIoU(3)], CCE, "onehot", "softmax", 3, _only(WIDE, "nk")),
    ("BinaryIoU", [lambda kl: kl.metrics.BinaryIoU(target_class_ids=[1], threshold=0.4)], BCE, "binary",
     "sigmoid", 1, _only(UNIT, "n1")),
    ("R2Score", [lambda kl: kl.metrics.R2Score()], MSE, "real", None, 1, _only(UNIT, "n", "n1")),
    # (num_regressors > 0 fails in Keras 3.15 on JAX: a Python `if` on a traced count)
    ("R2Score_columns", [lambda kl: kl.metrics.R2Score(class_aggregation="variance_weighted_average")], MSE,
     "real", None, 3, _only(WIDE, "nk")),
    ("named_after_losses", [lambda kl: kl.metrics.BinaryCrossentropy(), lambda kl: kl.metrics.Hinge(),
                            lambda kl: kl.metrics.SquaredHinge(), lambda kl: kl.metrics.LogCoshError(),
                            lambda kl: kl.metrics.KLDivergence(), lambda kl: kl.metrics.Poisson()], BCE, "binary",
     "sigmoid", 1, _only(UNIT, "n1")),
]

CASES = [dense_case("metrics_k3", name, tag, make_x, width, family, loss, activation, units, metrics)
         for name, metrics, loss, family, activation, units, shapes in ROWS
         for tag, (make_x, width) in shapes.items()]
CASES += [dense_case("metrics_k3", "weighted_counts_f1", "n1", *UNIT["n1"], "binary", BCE, "sigmoid", 1,
                     [named("accuracy")], weighted_metrics=[lambda kl: kl.metrics.TruePositives(),
                                                            lambda kl: kl.metrics.R2Score()],
                     sample_weight="samples")]
CASES += [dense_case("metrics_k3", "focal_and_huber_functions", "n1", *UNIT["n1"], "binary", BCE, "sigmoid", 1,
                     [lambda kl: kl.metrics.binary_focal_crossentropy, lambda kl: kl.metrics.huber])]
