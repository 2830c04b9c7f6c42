"""Optimizers and schedules against NumPy references of Keras 3's formulas, in float64 to tight tolerance."""
import math
import warnings

import numpy as np
import pytest

import layerkit_backend as lb
import layerkit_backend.tensor as T
from layerkit import optimizer_schedules as schedules
from layerkit import optimizers

A = np.array([[2.0, 0.5, 0.0], [0.5, 1.0, 0.3], [0.0, 0.3, 1.5], [1.0, -1.0, 0.5]])
B = np.array([1.0, -2.0, 0.5, 0.3])
W0 = np.array([0.5, -0.3, 0.8])


def _grad(w):
    """Gradient of the least-squares loss 0.5 * |A w - b|^2."""
    return A.T @ (A @ w - B)


def _f32(x):
    return float(np.float32(x))  # the learning rate is stored as floatX


# NumPy references: (w, g, state dict, t (1-based), hyper-parameters) -> new w; state updated in place
def ref_sgd(w, g, s, t, lr, momentum=0.0, nesterov=False):
    if not momentum:
        return w - lr * g
    s["m"] = momentum * s.get("m", 0.0) - lr * g
    return w + (momentum * s["m"] - lr * g if nesterov else s["m"])


def ref_rmsprop(w, g, s, t, lr, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    s["v"] = rho * s.get("v", 0.0) + (1 - rho) * g * g
    den = s["v"]
    if centered:
        s["a"] = rho * s.get("a", 0.0) + (1 - rho) * g
        den = den - s["a"] ** 2
    inc = lr * g / np.sqrt(den + epsilon)
    if momentum:
        s["m"] = momentum * s.get("m", 0.0) + inc
        inc = s["m"]
    return w - inc


def ref_adagrad(w, g, s, t, lr, initial_accumulator_value=0.1, epsilon=1e-7):
    s["a"] = s.get("a", initial_accumulator_value) + g * g
    return w - lr * g / np.sqrt(s["a"] + epsilon)


def ref_adadelta(w, g, s, t, lr, rho=0.95, epsilon=1e-7):
    s["ag"] = rho * s.get("ag", 0.0) + (1 - rho) * g * g
    d = -np.sqrt(s.get("ad", 0.0) + epsilon) / np.sqrt(s["ag"] + epsilon) * g
    s["ad"] = rho * s.get("ad", 0.0) + (1 - rho) * d * d
    return w + lr * d


def ref_adam(w, g, s, t, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, weight_decay=None):
    if weight_decay:
        w = w - w * weight_decay * lr
    s["m"] = s.get("m", 0.0) + (g - s.get("m", 0.0)) * (1 - beta_1)
    s["v"] = s.get("v", 0.0) + (g * g - s.get("v", 0.0)) * (1 - beta_2)
    v = s["v"]
    if amsgrad:
        v = s["vh"] = np.maximum(s.get("vh", 0.0), v)
    alpha = lr * math.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
    return w - s["m"] * alpha / (np.sqrt(v) + epsilon)


def ref_adamax(w, g, s, t, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    s["m"] = s.get("m", 0.0) + (g - s.get("m", 0.0)) * (1 - beta_1)
    s["u"] = np.maximum(beta_2 * s.get("u", 0.0), np.abs(g))
    return w - lr * s["m"] / ((1 - beta_1 ** t) * (s["u"] + epsilon))


def ref_nadam(w, g, s, t, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    u_t = beta_1 * (1 - 0.5 * 0.96 ** t)
    u_next = beta_1 * (1 - 0.5 * 0.96 ** (t + 1))
    s["up"] = s.get("up", 1.0) * u_t
    s["m"] = s.get("m", 0.0) + (g - s.get("m", 0.0)) * (1 - beta_1)
    s["v"] = s.get("v", 0.0) + (g * g - s.get("v", 0.0)) * (1 - beta_2)
    m_hat = u_next * s["m"] / (1 - s["up"] * u_next) + (1 - u_t) * g / (1 - s["up"])
    v_hat = s["v"] / (1 - beta_2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + epsilon)


CASES = [
    # (id, optimizer class, keyword arguments, reference, steps to converge)
    ("sgd", optimizers.SGD, {"learning_rate": 0.1}, ref_sgd, 300),
    ("sgd_momentum", optimizers.SGD, {"learning_rate": 0.05, "momentum": 0.9}, ref_sgd, 300),
    ("sgd_nesterov", optimizers.SGD, {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}, ref_sgd, 300),
    ("rmsprop", optimizers.RMSprop, {"learning_rate": 0.01}, ref_rmsprop, 600),
    ("rmsprop_centered_momentum", optimizers.RMSprop,
     {"learning_rate": 0.01, "momentum": 0.5, "centered": True}, ref_rmsprop, 600),
    ("adagrad", optimizers.Adagrad, {"learning_rate": 0.3}, ref_adagrad, 600),
    ("adadelta", optimizers.Adadelta, {"learning_rate": 0.2, "rho": 0.9, "epsilon": 1e-2}, ref_adadelta, 600),
    ("adam", optimizers.Adam, {"learning_rate": 0.05}, ref_adam, 600),
    ("adam_amsgrad", optimizers.Adam, {"learning_rate": 0.05, "amsgrad": True}, ref_adam, 600),
    ("adamw", optimizers.AdamW, {"learning_rate": 0.05, "weight_decay": 0.004}, ref_adam, 600),
    ("adamax", optimizers.Adamax, {"learning_rate": 0.05}, ref_adamax, 600),
    ("nadam", optimizers.Nadam, {"learning_rate": 0.05}, ref_nadam, 600),
]
IDS = [c[0] for c in CASES]


def _problem(opt):
    w = lb.shared(W0.copy(), name="w")
    residual = T.dot(T.constant(A), w) - T.constant(B)
    loss = 0.5 * T.sum(T.square(residual))
    return w, lb.function([], loss, updates=opt.get_updates(loss, [w]))


def _hyper(opt_kwargs):
    return {("lr" if k == "learning_rate" else k): (_f32(v) if k == "learning_rate" else v)
            for k, v in opt_kwargs.items()}


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_steps_match_reference(case):
    _, cls, kwargs, ref, _ = case
    opt = cls(**kwargs)
    w, step = _problem(opt)
    expected, state = W0.copy(), {}
    for t in range(1, 6):
        step()
        expected = ref(expected, _grad(expected), state, t, **_hyper(kwargs))
        np.testing.assert_allclose(w.get_value(), expected, rtol=1e-10, atol=1e-12)
    assert int(opt.iterations.get_value()) == 5


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_converges(case):
    _, cls, kwargs, _, steps = case
    w, step = _problem(cls(**kwargs))
    first = float(step())
    for _ in range(steps):
        last = float(step())
    optimum = np.linalg.lstsq(A, B, rcond=None)[0]
    best = 0.5 * np.sum((A @ optimum - B) ** 2)
    assert last - best < 0.02 * (first - best), (first, last, best)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_state_round_trip_resumes_identically(case):
    _, cls, kwargs, _, _ = case
    opt = cls(**kwargs)
    w, step = _problem(opt)
    for _ in range(3):
        step()
    saved_w, saved = w.get_value().copy(), opt.get_weights()
    for _ in range(3):
        step()
    after = w.get_value().copy()
    fresh = cls(**kwargs)
    w2, step2 = _problem(fresh)
    w2.set_value(saved_w)
    fresh.set_weights(saved)
    for _ in range(3):
        step2()
    np.testing.assert_array_equal(w2.get_value(), after)
    assert int(fresh.iterations.get_value()) == 6


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_config_round_trip(case):
    _, cls, kwargs, _, _ = case
    opt = cls(**kwargs)
    for restored in (optimizers.deserialize(optimizers.serialize(opt)), cls.from_config(opt.get_config())):
        assert type(restored) is cls and restored.get_config() == opt.get_config()


CLIP_CASES = [
    # (id, clip keyword arguments, grads (two params) -> clipped grads)
    ("clipnorm", {"clipnorm": 1.0}, lambda gs: [g * min(1.0, 1.0 / np.linalg.norm(g)) for g in gs]),
    ("global_clipnorm", {"global_clipnorm": 1.0},
     lambda gs: [g * min(1.0, 1.0 / math.sqrt(sum(np.sum(x * x) for x in gs))) for g in gs]),
    ("clipvalue", {"clipvalue": 0.5}, lambda gs: [np.clip(g, -0.5, 0.5) for g in gs]),
]


@pytest.mark.parametrize("case", CLIP_CASES, ids=[c[0] for c in CLIP_CASES])
def test_clipping(case):
    _, clip_kwargs, clip = case
    values = [np.array([3.0, -4.0]), np.array([[0.2, 0.1]])]
    params = [lb.shared(v.copy(), name=f"p{i}") for i, v in enumerate(values)]
    loss = sum(T.sum(T.square(p)) for p in params)  # gradient 2p
    opt = optimizers.SGD(learning_rate=1.0, **clip_kwargs)
    lb.function([], loss, updates=opt.get_updates(loss, params))()
    for p, v, g in zip(params, values, clip([2 * v for v in values])):
        np.testing.assert_allclose(p.get_value(), v - g, rtol=1e-12)


def test_learning_rate_variable_is_live():
    opt = optimizers.SGD(learning_rate=0.1)
    w = lb.shared(np.array([1.0]), name="w")
    f = lb.function([], T.sum(w), updates=opt.get_updates(T.sum(w), [w]))
    f()
    opt.learning_rate = 0.5
    f()
    assert opt.learning_rate == 0.5
    np.testing.assert_allclose(w.get_value(), [1.0 - _f32(0.1) - 0.5])


def test_schedule_learning_rate_uses_iterations():
    sched = schedules.ExponentialDecay(0.5, decay_steps=1, decay_rate=0.5)
    opt = optimizers.SGD(learning_rate=sched)
    w = lb.shared(np.array([0.0]), name="w")
    f = lb.function([], T.sum(w), updates=opt.get_updates(T.sum(w), [w]))  # gradient 1
    for _ in range(3):
        f()
    np.testing.assert_allclose(w.get_value(), [-(0.5 + 0.25 + 0.125)], rtol=1e-6)
    assert opt.learning_rate == pytest.approx(0.0625)
    with pytest.raises(TypeError, match="not settable"):
        opt.learning_rate = 0.1
    restored = optimizers.deserialize(optimizers.serialize(opt))
    assert restored.get_config() == opt.get_config()


def test_keras2_lr_and_decay():
    with pytest.warns(DeprecationWarning, match="lr"), pytest.warns(DeprecationWarning, match="decay"):
        opt = optimizers.SGD(lr=0.5, decay=1.0)
    w = lb.shared(np.array([0.0]), name="w")
    f = lb.function([], T.sum(w), updates=opt.get_updates(T.sum(w), [w]))
    f(), f()
    np.testing.assert_allclose(w.get_value(), [-(0.5 + 0.25)], rtol=1e-6)
    assert opt.get_config()["decay"] == 1.0


LOOKUP_CASES = [
    ("adam", optimizers.Adam), ("Adam", optimizers.Adam), ("rmsprop", optimizers.RMSprop),
    ({"class_name": "SGD", "config": {"learning_rate": 0.1, "momentum": 0.9}, "module": "keras.optimizers",
      "registered_name": None}, optimizers.SGD),
    # a Keras 3 file's config carries keys for features left out here; their default values are accepted
    ({"class_name": "Adam", "config": {"name": "adam", "learning_rate": 0.001, "use_ema": False,
                                       "ema_momentum": 0.99, "ema_overwrite_frequency": None,
                                       "loss_scale_factor": None, "gradient_accumulation_steps": None,
                                       "is_legacy_optimizer": False}}, optimizers.Adam),
]


@pytest.mark.parametrize("identifier,cls", LOOKUP_CASES)
def test_get(identifier, cls):
    assert type(optimizers.get(identifier)) is cls


def test_errors():
    with pytest.raises(ValueError, match="Unknown optimizer 'adamz'.*known names"):
        optimizers.get("adamz")
    with pytest.raises(ValueError, match="only one of clipnorm and global_clipnorm"):
        optimizers.SGD(clipnorm=1.0, global_clipnorm=1.0)
    with pytest.raises(TypeError, match="unexpected keyword arguments"):
        optimizers.Adam(betta=0.9)
    with pytest.raises(ValueError, match="expected 3 arrays"):
        opt = optimizers.Adam()
        _problem(opt)
        opt.set_weights([np.int64(0)])


# -- schedules ----------------------------------------------------------------------------------------------------
SCHEDULE_CASES = [
    # (id, schedule, closed form of the step)
    ("exponential", schedules.ExponentialDecay(0.1, 10, 0.5), lambda s: 0.1 * 0.5 ** (s / 10)),
    ("exponential_staircase", schedules.ExponentialDecay(0.1, 10, 0.5, staircase=True),
     lambda s: 0.1 * 0.5 ** (s // 10)),
    ("piecewise", schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1]),
     lambda s: 1.0 if s <= 10 else 0.5 if s <= 20 else 0.1),
    ("cosine", schedules.CosineDecay(1.0, 20, alpha=0.1),
     lambda s: 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(s, 20) / 20))),
    ("cosine_warmup", schedules.CosineDecay(0.0, 20, warmup_target=1.0, warmup_steps=5),
     lambda s: s / 5 if s < 5 else 0.5 * (1 + math.cos(math.pi * min(s - 5, 20) / 20))),
    ("inverse_time", schedules.InverseTimeDecay(1.0, 5, 0.5), lambda s: 1.0 / (1 + 0.5 * s / 5)),
    ("inverse_time_staircase", schedules.InverseTimeDecay(1.0, 5, 0.5, staircase=True),
     lambda s: 1.0 / (1 + 0.5 * (s // 5))),
    ("polynomial", schedules.PolynomialDecay(1.0, 20, end_learning_rate=0.1, power=2.0),
     lambda s: 0.9 * (1 - min(s, 20) / 20) ** 2 + 0.1),
    ("polynomial_cycle", schedules.PolynomialDecay(1.0, 10, end_learning_rate=0.0, cycle=True),
     lambda s: 1.0 - s / (10 * max(1, math.ceil(s / 10)))),
]
STEPS = [0, 1, 4, 5, 10, 11, 20, 23, 40]


@pytest.mark.parametrize("case", SCHEDULE_CASES, ids=[c[0] for c in SCHEDULE_CASES])
def test_schedule(case):
    _, schedule, closed_form = case
    step = T.lscalar("step")
    symbolic = lb.function([step], schedule(step))
    for s in STEPS:
        assert schedule(s) == pytest.approx(closed_form(s), rel=1e-12, abs=1e-12)
        assert float(symbolic(s)) == pytest.approx(closed_form(s), rel=1e-5, abs=1e-6)
    restored = schedules.deserialize(schedules.serialize(schedule))
    assert restored.get_config() == schedule.get_config()
    assert optimizers.schedules is schedules


def test_no_warnings_for_plain_use():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        optimizers.Adam.from_config(optimizers.Adam().get_config())
