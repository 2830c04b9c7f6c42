"""Program shapes shared by the case groups: one Dense layer trained on generated targets."""
import numpy as np

from keras_session import Case, compare_value, compare, train_and_report

from .data import features, sequences, targets

__all__ = ["UNIT", "WIDE", "LABELS", "named", "dense_case", "rank_below_check"]

# tag: (input maker, target width suffix); the output's units come from the row
UNIT = {"n": (features, ""), "n1": (features, ":1"), "nT": (sequences, ""), "nT1": (sequences, ":1")}
WIDE = {"nk": (features, ":k"), "nTk": (sequences, ":k")}
LABELS = UNIT   # integer labels for a 3-unit output: (n,), (n, 1), (n, T), (n, T, 1)


def named(identifier):
    """A row's loss or metric given by name (the same string for both libraries)."""
    def make(kl):
        return identifier
    make.identifier = identifier
    return make


def dense_case(group, name, tag, make_x, width, family, loss, activation=None, units=1, metrics=(),
               lr=0.1, weighted_metrics=None, sample_weight=None, **fit_kwargs):
    """A case training ``Dense(units, activation)`` with SGD(lr) on ``targets(family + width)``.

    ``loss`` and each metric are functions of ``kl`` (use ``named('mse')`` for strings); ``sample_weight``
    ('samples' or 'steps') adds per-sample or per-time-step weights to the data and to fit and evaluate.
    Targets one rank below a one-unit output ('n', 'nT'), and per-sample weights for a sequence output, run twice
    from the same weights: as given ('main') and in the form Keras always takes ('expanded': targets with the
    trailing axis of 1, weights repeated over the time steps); see :func:`rank_below_check`.
    """
    rank_below = width == "" and units == 1
    sequence_weights = sample_weight == "samples" and make_x is sequences

    def data(rng):
        x = make_x(rng)
        d = {"x": x, "y": targets(family + width, x, rng)}
        if sample_weight == "samples":
            d["sw"] = rng.uniform(0.0, 2.0, size=len(x)).astype("float32")
        elif sample_weight == "steps":
            d["sw"] = rng.uniform(0.0, 2.0, size=x.shape[:2]).astype("float32")
        return d

    def expanded(d):
        d = dict(d)
        if rank_below:
            d["y"] = d["y"][..., None]
        if sequence_weights:
            d["sw"] = np.repeat(d["sw"][:, None], d["x"].shape[1], axis=1)
        return d

    def run(s, d, into):
        kl = s.kl
        model = kl.Sequential([kl.Input(d["x"].shape[1:]), kl.layers.Dense(units, activation=activation)])
        model.compile(optimizer=kl.optimizers.SGD(lr), loss=loss(kl), metrics=[m(kl) for m in metrics],
                      weighted_metrics=None if weighted_metrics is None else [m(kl) for m in weighted_metrics])
        sw = d.get("sw")
        train_and_report(s, model, d["x"], d["y"], sample_weight=sw, into=into, **fit_kwargs)
        if sw is not None:
            into["evaluate_weighted"] = model.evaluate(d["x"], d["y"], sample_weight=sw, batch_size=16, verbose=0,
                                                       return_dict=True)

    def program(s):
        if not (rank_below or sequence_weights):
            run(s, s.d, s.out)
            return
        s.out["main"] = {}
        try:
            run(s, s.d, s.out["main"])
        except Exception:   # noqa: BLE001 - Keras refusing these data is a result (rank_below_check)
            if not s.recording:
                raise
            s.out["main"] = {"raises": True}
        s.out["expanded"] = {}
        run(s, expanded(s.d), s.out["expanded"])

    names = [getattr(m, "identifier", None) for m in metrics]
    twice = weighted_metrics and any(getattr(m, "identifier", None) in names for m in weighted_metrics)
    differs = ("duplicate-evaluate-names",) if twice else ()
    if rank_below or sequence_weights:
        differs += ("rank-below-targets" if rank_below else "per-sample-weights-on-sequences",)
        return Case(f"{group}/{name}/{tag}", program, data, differs=differs, skip=("main",), check=rank_below_check)
    return Case(f"{group}/{name}/{tag}", program, data, differs=differs)



def rank_below_check(keras, ours, tol):
    """layerkit treats targets one rank below the output exactly as the same targets with a trailing axis of 1
    (and per-sample weights of a sequence output as the same weight at every step), for every loss and metric.
    Keras does the same for its losses and most metrics; where it does not (a metric that broadcasts (n,) against
    (n, 1) to (n, n), or raises), layerkit's result must equal Keras's result for the expanded data (documented
    in docs/keras_compatibility.md, sections rank-below-targets and per-sample-weights-on-sequences)."""
    problems = []
    main, expanded, mine = keras["main"], keras["expanded"], ours["main"]
    if main == {"raises": True}:
        return [f"main (Keras raises; compared with Keras's expanded run): {p}"
                for p in compare(expanded, mine, tol)]
    for key in main:
        for sub, value in (main[key].items() if isinstance(main[key], dict) else [(None, main[key])]):
            def pick(results):
                return results[key] if sub is None else results[key].get(sub)
            path = (key,) if sub is None else (key, sub)
            direct = compare_value(value, pick(mine) if key in mine else None, path, tol)
            if not direct:
                continue
            keras_consistent = not compare_value(pick(expanded), value, path, tol)
            if keras_consistent or compare_value(pick(expanded), pick(mine), path, tol):
                problems += [f"main: {p}" for p in direct]
    return problems
