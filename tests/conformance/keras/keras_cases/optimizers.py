"""Every optimizer (by name and configured), gradient clipping, weight decay and every learning-rate schedule,
training a small MLP for three epochs (9 steps)."""
import numpy as np

from keras_session import Case, train_and_report

from .data import features, targets


def _number(value):
    """A Keras variable or a layerkit shared variable as a float."""
    return float(np.asarray(value.get_value() if hasattr(value, "get_value") else value))


def _data(rng):
    x = features(rng)
    return {"x": x, "y": targets("real:1", x, rng)}


def _case(name, optimizer, epochs=3):
    def program(s):
        kl = s.kl
        model = kl.Sequential([kl.Input((4,)), kl.layers.Dense(6, activation="tanh"), kl.layers.Dense(1)])
        model.compile(optimizer=optimizer(kl), loss="mse")
        train_and_report(s, model, s.d["x"], s.d["y"], epochs=epochs)
        s.out["iterations"] = _number(model.optimizer.iterations)

    return Case(f"optimizers/{name}", program, _data)


def _schedule(make):
    return lambda kl: kl.optimizers.SGD(learning_rate=make(kl.optimizers.schedules))


ROWS = [
    ("sgd", lambda kl: "sgd"),
    ("adam", lambda kl: "adam"),
    ("rmsprop", lambda kl: "rmsprop"),
    ("adagrad", lambda kl: "adagrad"),
    ("adadelta", lambda kl: "adadelta"),
    ("adamax", lambda kl: "adamax"),
    ("nadam", lambda kl: "nadam"),
    ("adamw", lambda kl: "adamw"),
    ("lion", lambda kl: "lion"),
    ("Lion", lambda kl: kl.optimizers.Lion(0.01, beta_1=0.8, beta_2=0.95)),
    ("Lion_weight_decay", lambda kl: kl.optimizers.Lion(0.01, weight_decay=0.1)),
    ("SGD_lr", lambda kl: kl.optimizers.SGD(0.05)),
    ("SGD_momentum", lambda kl: kl.optimizers.SGD(0.05, momentum=0.9)),
    ("SGD_nesterov", lambda kl: kl.optimizers.SGD(0.05, momentum=0.9, nesterov=True)),
    ("RMSprop_lr", lambda kl: kl.optimizers.RMSprop(0.01)),
    ("RMSprop_momentum", lambda kl: kl.optimizers.RMSprop(0.01, momentum=0.5)),
    ("RMSprop_centered", lambda kl: kl.optimizers.RMSprop(0.01, centered=True, rho=0.8)),
    ("Adagrad", lambda kl: kl.optimizers.Adagrad(0.1, initial_accumulator_value=0.5)),
    ("Adadelta", lambda kl: kl.optimizers.Adadelta(1.0, rho=0.9)),
    ("Adam", lambda kl: kl.optimizers.Adam(0.02, beta_1=0.8, beta_2=0.99)),
    ("Adam_amsgrad", lambda kl: kl.optimizers.Adam(0.02, amsgrad=True)),
    ("Adam_epsilon", lambda kl: kl.optimizers.Adam(0.02, epsilon=0.1)),
    ("AdamW", lambda kl: kl.optimizers.AdamW(0.02, weight_decay=0.1)),
    ("Adamax", lambda kl: kl.optimizers.Adamax(0.02)),
    ("Nadam", lambda kl: kl.optimizers.Nadam(0.02)),
    ("SGD_clipnorm", lambda kl: kl.optimizers.SGD(0.1, clipnorm=0.2)),
    ("SGD_clipvalue", lambda kl: kl.optimizers.SGD(0.1, clipvalue=0.05)),
    ("Adam_global_clipnorm", lambda kl: kl.optimizers.Adam(0.02, global_clipnorm=0.3)),
    ("SGD_weight_decay", lambda kl: kl.optimizers.SGD(0.1, weight_decay=0.05)),
    ("Adam_weight_decay", lambda kl: kl.optimizers.Adam(0.02, weight_decay=0.05)),
    ("RMSprop_clipnorm_momentum", lambda kl: kl.optimizers.RMSprop(0.01, momentum=0.9, clipnorm=0.5)),
    ("ExponentialDecay", _schedule(lambda sch: sch.ExponentialDecay(0.2, decay_steps=2, decay_rate=0.5))),
    ("ExponentialDecay_staircase", _schedule(lambda sch: sch.ExponentialDecay(0.2, 2, 0.5, staircase=True))),
    ("PiecewiseConstantDecay", _schedule(lambda sch: sch.PiecewiseConstantDecay([2, 5], [0.2, 0.1, 0.02]))),
    ("CosineDecay", _schedule(lambda sch: sch.CosineDecay(0.2, decay_steps=8))),
    ("CosineDecay_alpha", _schedule(lambda sch: sch.CosineDecay(0.2, decay_steps=5, alpha=0.1))),
    ("CosineDecay_warmup", _schedule(lambda sch: sch.CosineDecay(0.0, decay_steps=5, warmup_target=0.2,
                                                                 warmup_steps=3))),
    ("InverseTimeDecay", _schedule(lambda sch: sch.InverseTimeDecay(0.2, decay_steps=2, decay_rate=0.5))),
    ("InverseTimeDecay_staircase", _schedule(lambda sch: sch.InverseTimeDecay(0.2, 2, 0.5, staircase=True))),
    ("PolynomialDecay", _schedule(lambda sch: sch.PolynomialDecay(0.2, decay_steps=6, end_learning_rate=0.01,
                                                                  power=2.0))),
    ("PolynomialDecay_cycle", _schedule(lambda sch: sch.PolynomialDecay(0.2, 4, 0.01, cycle=True))),
    ("Adam_schedule", lambda kl: kl.optimizers.Adam(kl.optimizers.schedules.ExponentialDecay(0.05, 3, 0.5))),
]

CASES = [_case(name, optimizer) for name, optimizer in ROWS]
