"""The data-parallel training step: local gradients, ONE allreduce of a flat buffer, one apply function.

The single-process engine compiles one train function. With a strategy the step is split in two compiled
functions around the allreduce:

- the gradient function maps this process's shard of the batch to the pieces of the flat buffer: each gradient
  times the local sample count, the layers' float updates (BatchNormalization's moving statistics) times the
  count, the (sum, count) pair of every running metric, the increments of the stateful metrics' variables, and
  the local sample count itself (last);
- the allreduce sums the buffer in place over the processes, so every piece becomes a global sum;
- the apply function divides by the global count (the mean gradient of the whole global batch, however unevenly
  it was split), runs the optimizer's update pairs (constraints applied) and the metric accumulators' updates, and
  returns the running loss and metrics, the same on every process.

Example:
    >>> import numpy as np
    >>> from layerkit.distribute import MPIStrategy
    >>> from layerkit.models import Sequential
    >>> from layerkit.layers import Dense
    >>> model = Sequential([Dense(1, input_shape=(3,))])
    >>> model.compile("sgd", "mse", strategy=MPIStrategy())
    >>> step = model._functions().get("train")
    >>> type(step).__name__, step.buffer.dtype.name
    ('DataParallelStep', 'float32')
"""
import numpy as np

import layerkit_backend as lb
import layerkit_backend.tensor as T

from ..training.functions import RunningMean

__all__ = ["DataParallelStep"]


class DataParallelStep:
    """A callable with the train function's signature and results (see the module docstring)."""

    def __init__(self, functions, graph, strategy):
        floatx = lb.config.floatX
        self.strategy = strategy
        model_name = functions.model.name
        params = list(functions.trainable_weights)
        batch = graph.batch
        grads = lb.grad(graph.total, params) if params else []
        layer_updates = list(graph.ctx.updates)
        averaged = [(v, new) for v, new in layer_updates if str(v.dtype).startswith("float")]
        local = [(v, new) for v, new in layer_updates if not str(v.dtype).startswith("float")]
        pieces, shapes = [], []

        def add(expression, shape):
            pieces.append(T.cast(expression, floatx))
            shapes.append(tuple(int(n) for n in shape))

        for g, p in zip(grads, params):
            add(g * T.cast(batch, g.dtype), p.get_value(borrow=True).shape)
        for v, new in averaged:
            add(new * T.cast(batch, new.dtype), v.get_value(borrow=True).shape)
        for term in graph.terms:
            if term.metric is None:
                add(term.sums[0], ())
                add(term.sums[1], ())
            else:
                for v, new in term.pairs:
                    add(new - v, v.get_value(borrow=True).shape)
        add(batch, ())
        self.gradient_function = lb.function(functions.feeds, pieces, updates=local, on_unused_input="ignore",
                                             name=f"{model_name}/gradient_function")
        sizes = [int(np.prod(shape)) for shape in shapes]
        self.buffer = strategy.allocate(sum(sizes))
        offsets = np.cumsum([0] + sizes)
        self.views = [self.buffer[o:o + n].reshape(shape) for o, n, shape in zip(offsets, sizes, shapes)]

        inputs = [T.tensor(floatx, shape=shape, name=f"reduced_{k}") for k, shape in enumerate(shapes)]
        pieces_in = iter(inputs)
        count = inputs[-1]
        scale = 1.0 / T.maximum(count, 1.0)
        mean_grads = [next(pieces_in) * T.cast(scale, floatx) for _ in params]
        updates = functions.constrained(list(functions.optimizer.apply_gradients(zip(mean_grads, params)))
                                        if params else [])
        updates += [(v, T.cast(next(pieces_in) * scale, v.dtype)) for v, _ in averaged]
        results, sources = [], []
        for term in graph.terms:
            if term.metric is None:
                source = RunningMean(f"{model_name}/train/{term.name}")
                pairs, result = source.update(next(pieces_in), next(pieces_in))
            else:
                source = term.metric
                pairs = [(v, v + T.cast(next(pieces_in), v.dtype)) for v, _ in term.pairs]
                result = term.metric.result(values=dict(pairs))
            updates += pairs
            results.append(result)
            sources.append(source)
        functions.result_sources("train", sources)
        self.apply_function = lb.function(inputs, results, updates=updates, on_unused_input="ignore",
                                          name=f"{model_name}/apply_function")

    def __call__(self, *batch):
        if len(batch[0]):
            for view, value in zip(self.views, self.gradient_function(*batch)):
                view[...] = value
        else:
            self.buffer.fill(0)   # an empty shard (a last batch smaller than the number of processes)
        self.strategy.allreduce(self.buffer)
        return self.apply_function(*self.views)
