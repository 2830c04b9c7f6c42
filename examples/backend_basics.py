"""A tour of the backend in the order of Theano's tutorial: symbolic variables, ``function``, shared variables with
updates, symbolic differentiation with ``grad``, and loops with ``scan``.

Every section builds a small graph, compiles it and checks the result against NumPy, so the script doubles as a
sanity check of an installation. ``theano`` is spelled ``layerkit_backend``; everything else is Theano 1.0's API.

    python examples/backend_basics.py            # the whole tour (a second or two)
    python examples/backend_basics.py --smoke    # the same tour with smaller loops, for the test suite
"""
import argparse

import numpy as np

import layerkit_backend as lb
import layerkit_backend.tensor as T


def symbolic_variables():
    """Adding two scalars, then two matrices: variables are typed placeholders; ``function`` compiles a graph."""
    x, y = T.dscalars("x", "y")
    z = x + y
    add = lb.function([x, y], z)
    print(f"2 + 3 = {add(2, 3)}")
    print(f"the graph of z: {lb.pp(z)}")

    a, b = T.dmatrices("a", "b")
    add_matrices = lb.function([a, b], a + b)
    result = add_matrices([[1, 2], [3, 4]], [[10, 20], [30, 40]])
    print(f"matrix sum:\n{result}")
    assert np.array_equal(result, [[11, 22], [33, 44]])


def several_outputs():
    """One function, several outputs: the elementwise logistic and two differences of matrices."""
    x = T.dmatrix("x")
    logistic = lb.function([x], 1 / (1 + T.exp(-x)))
    print(f"logistic([[0, 1], [-1, -2]]) =\n{logistic([[0, 1], [-1, -2]])}")

    a, b = T.dmatrices("a", "b")
    diff = a - b
    differences = lb.function([a, b], [diff, abs(diff), diff ** 2])
    d, absolute, squared = differences([[1, 1], [1, 1]], [[0, 1], [2, 3]])
    print(f"a - b = {d.tolist()}, |a - b| = {absolute.tolist()}, (a - b)**2 = {squared.tolist()}")
    assert np.array_equal(squared, d ** 2)


def shared_variables():
    """An accumulator: a shared variable keeps its value between calls; ``updates`` changes it after each call."""
    state = lb.shared(0, name="state")
    inc = T.iscalar("inc")
    accumulator = lb.function([inc], state, updates=[(state, state + inc)])
    for step in (1, 300):
        print(f"state before adding {step}: {accumulator(step)}")
    print(f"state now: {state.get_value()}")
    assert state.get_value() == 301
    state.set_value(-1)
    accumulator(3)
    assert state.get_value() == 2


def gradients():
    """Symbolic differentiation: the derivative of x**2 and of the logistic, and a tiny gradient-descent fit."""
    x = T.dscalar("x")
    gx = lb.grad(x ** 2, x)
    derivative = lb.function([x], gx)
    print(f"d(x**2)/dx at 4 = {derivative(4)}")
    assert derivative(4) == 8

    m = T.dmatrix("m")
    s = T.sum(1 / (1 + T.exp(-m)))
    dlogistic = lb.function([m], lb.grad(s, m))
    values = np.array([[0.0, 1.0], [-1.0, -2.0]])
    logistic = 1 / (1 + np.exp(-values))
    assert np.allclose(dlogistic(values), logistic * (1 - logistic))
    print(f"d(sum logistic)/dm =\n{dlogistic(values)}")


def fit_a_line(steps):
    """Gradient descent on a least-squares line: weights are shared, the training step is one compiled function."""
    rng = np.random.default_rng(0)
    inputs = rng.uniform(-1, 1, 200)
    targets = 3.0 * inputs - 0.5 + 0.05 * rng.standard_normal(200)
    x, y = T.dvectors("x", "y")
    w = lb.shared(0.0, name="w")
    b = lb.shared(0.0, name="b")
    cost = T.mean((w * x + b - y) ** 2)
    gw, gb = lb.grad(cost, [w, b])
    train = lb.function([x, y], cost, updates=[(w, w - 0.5 * gw), (b, b - 0.5 * gb)])
    for step in range(steps):
        loss = train(inputs, targets)
    print(f"fitted y = {float(w.get_value()):.3f} x {float(b.get_value()):+.3f} after {steps} steps "
          f"(true: 3 x - 0.5), mean squared error {float(loss):.4f}")
    return float(w.get_value()), float(b.get_value())


def loops_with_scan(length):
    """``scan``: A**k elementwise, a polynomial's value, and the cumulative sum, each as a symbolic loop."""
    k = T.iscalar("k")
    a = T.dvector("a")
    powers, _ = lb.scan(lambda previous, a: previous * a, outputs_info=T.ones_like(a), non_sequences=a,
                        n_steps=k)
    power = lb.function([a, k], powers[-1])
    print(f"[1, 2, 3] ** 4 = {power([1, 2, 3], 4)}")
    assert np.array_equal(power([1, 2, 3], 4), [1, 16, 81])

    coefficients = T.dvector("coefficients")
    x = T.dscalar("x")
    terms, _ = lb.scan(lambda c, i, x: c * x ** i, sequences=[coefficients, T.arange(coefficients.shape[0])],
                       non_sequences=x)
    polynomial = lb.function([coefficients, x], terms.sum())
    print(f"1 + 0 x + 2 x**2 at x = 3: {polynomial([1, 0, 2], 3)}")
    assert polynomial([1, 0, 2], 3) == 19

    v = T.dvector("v")
    running, _ = lb.scan(lambda value, total: total + value, sequences=v, outputs_info=T.constant(0.0, dtype="float64"))
    cumsum = lb.function([v], running)
    # the gradient flows through the loop too: d(sum of the running totals)/dv[i] = len(v) - i
    dcumsum = lb.function([v], lb.grad(running.sum(), v))
    values = np.arange(1.0, length + 1)
    assert np.allclose(cumsum(values), np.cumsum(values))
    assert np.allclose(dcumsum(values), np.arange(length, 0, -1))
    print(f"cumulative sum of 1..{length}: last value {cumsum(values)[-1]:.0f}; its gradient through scan checks out")


def main(smoke=False):
    print("== symbolic variables and function"); symbolic_variables()
    print("== several outputs"); several_outputs()
    print("== shared variables and updates"); shared_variables()
    print("== gradients"); gradients()
    print("== training a line with grad + updates")
    w, b = fit_a_line(steps=30 if smoke else 200)
    assert abs(w - 3.0) < 0.3 and abs(b + 0.5) < 0.1, (w, b)
    print("== loops with scan"); loops_with_scan(length=5 if smoke else 100)
    print("backend tour: all checks passed")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="smaller loops, for the tests")
    main(smoke=parser.parse_args().smoke)
