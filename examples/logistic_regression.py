"""Logistic regression, as in Theano's tutorial, with ``theano`` replaced by ``layerkit_backend``.

Two classes of points drawn from overlapping Gaussian clouds; a weight vector and a bias, trained by gradient
descent on the cross-entropy. The training step is one compiled function that returns the predictions and the loss
and applies the parameter updates.

    python examples/logistic_regression.py            # 300 steps (under a second)
    python examples/logistic_regression.py --smoke    # 30 steps, for the test suite
"""
import sys

import numpy

import layerkit_backend
import layerkit_backend.tensor as T

rng = numpy.random.default_rng(0)
floatX = layerkit_backend.config.floatX  # float32 unless LAYERKIT_FLAGS says otherwise

N = 400               # training sample size
feats = 20            # number of input variables
training_steps = 30 if "--smoke" in sys.argv[1:] else 300

# generate a dataset: D = (input_values, target_class); class k's points are centred at +-0.4 in every feature
labels = rng.integers(0, 2, size=N)
inputs = rng.standard_normal((N, feats)) + 0.4 * (2 * labels[:, None] - 1)
D = (inputs.astype(floatX), labels.astype(floatX))

# declare symbolic variables
x = T.matrix("x")
y = T.vector("y")

# initialize the weight vector w randomly, and the bias b to 0 (both are shared: they keep their values between
# calls, and the training function updates them)
w = layerkit_backend.shared(rng.standard_normal(feats).astype(floatX), name="w")
b = layerkit_backend.shared(0.0, name="b")
print("Initial model:")
print(w.get_value())
print(b.get_value())

# construct the expression graph
p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))        # probability that target = 1
prediction = p_1 > 0.5                          # the prediction thresholded
xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)  # cross-entropy loss function
cost = xent.mean() + 0.01 * (w ** 2).sum()      # the cost to minimize
gw, gb = T.grad(cost, [w, b])                   # compute the gradient of the cost w.r.t. w and b

# compile
train = layerkit_backend.function(
    inputs=[x, y],
    outputs=[prediction, xent],
    updates=((w, w - 0.1 * gw), (b, b - 0.1 * gb)))
predict = layerkit_backend.function(inputs=[x], outputs=prediction)

# train
for i in range(training_steps):
    pred, err = train(D[0], D[1])
    if i % 100 == 0:
        print(f"step {i:3d}: mean cross-entropy {err.mean():.4f}")

print("Final model:")
print(w.get_value())
print(b.get_value())
accuracy = (predict(D[0]) == D[1]).mean()
print(f"training accuracy: {accuracy:.1%}")
