"""Every loss against every target shape it accepts, trained two epochs with SGD.

One Dense layer over (n, 4) features or (n, 5, 3) sequences gives outputs (n, 1), (n, 5, 1), (n, 3) or (n, 5, 3);
the targets come with and without the trailing axis of 1 ('n' vs 'n1', 'nT' vs 'nT1'), as integer labels of both
ranks, or one-hot. Keras expands or squeezes the targets to the output's rank before every loss and metric.
"""
from keras_session import Case, attempt, compare

from .data import features, targets
from .programs import LABELS, UNIT, WIDE, dense_case, named


def _custom_mse(y_true, y_pred):
    return (y_pred - y_true) ** 2


def _only(shapes, *tags):
    return {tag: shapes[tag] for tag in tags}


# name, loss (kl -> identifier), target family, activation, units, metrics, shapes, options
ROWS = [
    ("mse", named("mse"), "real", None, 1, [named("mae")], UNIT, {}),
    ("mse", named("mse"), "real", None, 3, [named("mae")], WIDE, {}),
    ("mae", named("mae"), "real", None, 1, [named("mse")], UNIT, {}),
    ("mape", named("mape"), "positive", None, 1, [], UNIT, {}),
    ("msle", named("msle"), "positive", "softplus", 1, [], UNIT, {}),
    ("huber", named("huber"), "real", None, 1, [], UNIT, {}),
    ("Huber_delta", lambda kl: kl.losses.Huber(delta=0.3), "real", None, 1, [], UNIT, {}),
    ("log_cosh", named("log_cosh"), "real", None, 1, [], UNIT, {}),
    ("hinge", named("hinge"), "binary", "tanh", 1, [], UNIT, {}),
    ("hinge_signed", named("hinge"), "signed", "tanh", 1, [], _only(UNIT, "n1", "nT"), {}),
    ("squared_hinge", named("squared_hinge"), "binary", "tanh", 1, [], UNIT, {}),
    ("poisson", named("poisson"), "count", "softplus", 1, [], UNIT, {}),
    ("binary_crossentropy", named("binary_crossentropy"), "binary", "sigmoid", 1, [named("accuracy")], UNIT, {}),
    ("binary_crossentropy", named("binary_crossentropy"), "binary", "sigmoid", 3, [named("accuracy")], WIDE, {}),
    ("bce_from_logits", lambda kl: kl.losses.BinaryCrossentropy(from_logits=True), "binary", None, 1,
     [named("accuracy")], UNIT, {}),
    ("bce_label_smoothing", lambda kl: kl.losses.BinaryCrossentropy(label_smoothing=0.2), "binary", "sigmoid",
     1, [], _only(UNIT, "n", "n1"), {}),
    ("kld", named("kld"), "prob", "sigmoid", 1, [], UNIT, {}),
    ("kl_divergence", named("kl_divergence"), "dist", "softmax", 3, [], WIDE, {}),
    ("cosine_similarity", named("cosine_similarity"), "real", None, 3, [], WIDE, {}),
    ("cosine_similarity", named("cosine_similarity"), "real", None, 1, [], _only(UNIT, "n", "n1"), {}),
    ("categorical_hinge", named("categorical_hinge"), "onehot", None, 3, [], WIDE, {}),
    ("categorical_crossentropy", named("categorical_crossentropy"), "onehot", "softmax", 3, [named("accuracy")],
     WIDE, {}),
    ("cce_soft_targets", named("categorical_crossentropy"), "dist", "softmax", 3, [], WIDE, {}),
    ("cce_label_smoothing", lambda kl: kl.losses.CategoricalCrossentropy(label_smoothing=0.1), "onehot",
     "softmax", 3, [], WIDE, {}),
    ("cce_from_logits", lambda kl: kl.losses.CategoricalCrossentropy(from_logits=True), "onehot", None, 3,
     [named("accuracy")], WIDE, {}),
    ("sparse_categorical_crossentropy", named("sparse_categorical_crossentropy"), "label", "softmax", 3,
     [named("accuracy")], LABELS, {}),
    ("scce_from_logits", lambda kl: kl.losses.SparseCategoricalCrossentropy(from_logits=True), "label", None, 3,
     [named("accuracy")], _only(LABELS, "n", "nT1"), {}),
    ("scce_ignore_class", lambda kl: kl.losses.SparseCategoricalCrossentropy(ignore_class=1), "label",
     "softmax", 3, [], _only(LABELS, "n", "n1", "nT"), {}),
    # reductions of a loss object reach fit's loss
    ("mse_reduction_sum", lambda kl: kl.losses.MeanSquaredError(reduction="sum"), "real", None, 1, [],
     _only(UNIT, "n", "nT1"), {"lr": 0.002}),
    ("cce_reduction_sum", lambda kl: kl.losses.CategoricalCrossentropy(reduction="sum"), "onehot", "softmax",
     3, [], _only(WIDE, "nk"), {"lr": 0.01}),
    # a plain function as the loss
    ("function", lambda kl: _custom_mse, "real", None, 1, [], _only(UNIT, "n1", "nT1"), {}),
    # sample weights per sample and per time step, with targets of both ranks
    ("mse_sample_weight", named("mse"), "real", None, 1, [named("mae")], UNIT, {"sample_weight": "samples"}),
    ("mse_step_weight", named("mse"), "real", None, 1, [], _only(UNIT, "nT1"), {"sample_weight": "steps"}),
    ("bce_sample_weight", named("binary_crossentropy"), "binary", "sigmoid", 1, [named("accuracy")],
     _only(UNIT, "n", "n1"), {"sample_weight": "samples", "weighted_metrics": [named("accuracy")]}),
    ("scce_sample_weight", named("sparse_categorical_crossentropy"), "label", "softmax", 3, [named("accuracy")],
     _only(LABELS, "n", "nT"), {"sample_weight": "samples", "weighted_metrics": [named("accuracy")]}),
    # class weights: a weight per class of each sample's label (integer or one-hot)
    ("bce_class_weight", named("binary_crossentropy"), "binary", "sigmoid", 1, [named("accuracy")],
     _only(UNIT, "n", "n1"), {"class_weight": {0: 0.3, 1: 2.0}, "weighted_metrics": [named("mse")]}),
    ("scce_class_weight", named("sparse_categorical_crossentropy"), "label", "softmax", 3, [named("accuracy")],
     _only(LABELS, "n", "n1"), {"class_weight": {0: 1.0, 1: 0.2, 2: 3.0}}),
    ("cce_class_weight", named("categorical_crossentropy"), "onehot", "softmax", 3, [named("accuracy")],
     _only(WIDE, "nk"), {"class_weight": {0: 2.0, 1: 0.5, 2: 1.0}}),
]


def _reduction_none_case(name, loss, family, activation, units, tag, make_x, width):
    """Keras on JAX cannot take the gradient of an unreduced loss: fit raises, evaluate averages."""
    def data(rng):
        x = make_x(rng)
        return {"x": x, "y": targets(family + width, x, rng)}

    def program(s):
        kl = s.kl
        model = kl.Sequential([kl.Input(s.d["x"].shape[1:]), kl.layers.Dense(units, activation=activation)])
        model.compile(optimizer=kl.optimizers.SGD(0.1), loss=loss(kl))
        s.start(model)
        s.out["evaluate"] = model.evaluate(s.d["x"], s.d["y"], batch_size=16, verbose=0)
        s.out["fit_raises"] = attempt(lambda: model.fit(s.d["x"], s.d["y"], epochs=1, verbose=0))

    return Case(f"losses/{name}/{tag}", program, data)


CASES = [dense_case("losses", name, tag, make_x, width, family, loss, activation, units, metrics, **options)
         for name, loss, family, activation, units, metrics, shapes, options in ROWS
         for tag, (make_x, width) in shapes.items()]
CASES += [_reduction_none_case("mse_reduction_none", lambda kl: kl.losses.MeanSquaredError(reduction="none"),
                               "real", None, 1, tag, *UNIT[tag]) for tag in ("n1", "nT")]
CASES.append(_reduction_none_case("scce_reduction_none",
                                  lambda kl: kl.losses.SparseCategoricalCrossentropy(reduction="none"), "label",
                                  "softmax", 3, "n", *LABELS["n"]))


def _saturated_case(name, activation, loss_class, family, units):
    """Crossentropy of a saturated softmax/sigmoid output (logits near +-60). Keras on JAX and torch clips the
    probabilities to [1e-7, 1 - 1e-7], so a confidently wrong sample costs at most 16.1 and teaches nothing;
    layerkit reads the logits back and computes the exact loss and gradient, which Keras computes too when told
    ``from_logits=True`` (the referee here; docs/keras_compatibility.md#saturated-crossentropy)."""
    def data(rng):
        x = features(rng, n=32) * 20.0
        return {"x": x, "y": targets(family, x, rng)}

    def run(s, from_logits):
        kl = s.kl
        model = kl.Sequential([kl.Input((4,)), kl.layers.Dense(units, activation=None if from_logits else
                                                               activation)])
        model.compile(optimizer=kl.optimizers.SGD(0.001), loss=getattr(kl.losses, loss_class)(
            from_logits=from_logits))
        s.start(model)
        out = {"evaluate": model.evaluate(s.d["x"], s.d["y"], verbose=0)}
        out["history"] = model.fit(s.d["x"], s.d["y"], epochs=2, batch_size=16, shuffle=False,
                                   verbose=0).history
        out["weights"] = model.get_weights()
        return out

    def program(s):
        s.out["probabilities"] = run(s, from_logits=False)
        s.out["logits"] = run(s, from_logits=True)

    def check(keras, ours, tol):
        return [f"probabilities (compared with Keras's from_logits=True run): {p}"
                for p in compare(keras["logits"], ours["probabilities"], tol)]

    return Case(f"losses/saturated/{name}", program, data, differs="saturated-crossentropy",
                skip=("probabilities",), check=check)


CASES += [_saturated_case("categorical_crossentropy", "softmax", "CategoricalCrossentropy", "onehot", 3),
          _saturated_case("binary_crossentropy", "sigmoid", "BinaryCrossentropy", "binary:k", 3)]
