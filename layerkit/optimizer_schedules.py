"""Learning-rate schedules (Keras's ``keras.optimizers.schedules``): ``schedule(step) -> learning rate``.

``step`` is either a Python int (the result is a Python float) or a symbolic backend tensor such as an optimizer's
``iterations`` (the result is a floatX expression compiled into the training function). Each formula is written
once against an array namespace (``numpy`` for ints, ``_SymbolicOps`` for tensors).

Example:
    >>> from layerkit.optimizers import schedules
    >>> schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)(20)
    0.025
"""
import math

import numpy as np

import layerkit_backend as lb
import layerkit_backend.tensor as T

from layerkit.initializers import deserialize_object

__all__ = ["LearningRateSchedule", "ExponentialDecay", "PiecewiseConstantDecay", "CosineDecay", "InverseTimeDecay",
           "PolynomialDecay", "serialize", "deserialize"]


class _SymbolicOps:
    """The few NumPy functions the schedules use, over backend tensors."""
    floor, ceil, cos, minimum, maximum = T.floor, T.ceil, T.cos, T.minimum, T.maximum
    where = staticmethod(T.switch)

    @staticmethod
    def power(base, exponent):
        return T.pow(base, exponent)


class LearningRateSchedule:
    """Base class: subclasses implement ``_decay(xp, step)`` with ``step`` a float (NumPy) or floatX tensor."""

    def __call__(self, step):
        if isinstance(step, lb.Variable):
            return self._decay(_SymbolicOps, T.cast(step, lb.config.floatX))
        return float(self._decay(np, np.float64(step)))

    def _decay(self, xp, step):
        raise NotImplementedError(f"{type(self).__name__} must implement _decay(xp, step)")

    def get_config(self):
        raise NotImplementedError(f"{type(self).__name__} must implement get_config()")

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class _RateDecay(LearningRateSchedule):
    """Shared by the schedules of ``(initial_learning_rate, decay_steps, decay_rate, staircase)``: subclasses
    implement ``_rate(xp, p)`` of the progress ``p = step / decay_steps`` (floored if ``staircase``)."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name=None):
        if decay_steps <= 0:
            raise ValueError(f"{type(self).__name__}: expected decay_steps > 0, received {decay_steps!r}")
        self.initial_learning_rate, self.decay_steps, self.decay_rate = initial_learning_rate, decay_steps, decay_rate
        self.staircase, self.name = staircase, type(self).__name__ if name is None else name

    def _decay(self, xp, step):
        p = step / self.decay_steps
        return self._rate(xp, xp.floor(p) if self.staircase else p)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


class ExponentialDecay(_RateDecay):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)`` (the exponent floored if ``staircase``).

    Example: ``ExponentialDecay(0.1, 100, 0.96, staircase=True)(250)`` is ``0.1 * 0.96 ** 2``.
    """

    def _rate(self, xp, p):
        return self.initial_learning_rate * xp.power(self.decay_rate, p)


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` while ``step <= boundaries[0]``, ``values[i]`` while ``step <= boundaries[i]``, then
    ``values[-1]``.

    Example: ``PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])(15)`` is 0.5.
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(f"PiecewiseConstantDecay: expected len(values) == len(boundaries) + 1, received "
                             f"{len(boundaries)} boundaries and {len(values)} values")
        self.boundaries, self.values, self.name = list(boundaries), list(values), name

    def _decay(self, xp, step):
        result = self.values[-1]
        for boundary, value in zip(reversed(self.boundaries), reversed(self.values[:-1])):
            result = xp.where(step <= boundary, value, result)
        return result

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class CosineDecay(LearningRateSchedule):
    """Cosine decay from the initial rate (or, after a linear warmup of ``warmup_steps``, from ``warmup_target``)
    to ``alpha`` times it over ``decay_steps``, then constant.

    Example: ``CosineDecay(1.0, 10, alpha=0.1)(5)`` is ``0.1 + 0.9 * 0.5``.
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay", warmup_target=None,
                 warmup_steps=0):
        if decay_steps <= 0:
            raise ValueError(f"CosineDecay: expected decay_steps > 0, received {decay_steps!r}")
        self.initial_learning_rate, self.decay_steps, self.alpha, self.name = (initial_learning_rate, decay_steps,
                                                                               alpha, name)
        self.warmup_target, self.warmup_steps = warmup_target, warmup_steps

    def _cosine(self, xp, step, start):
        fraction = step / self.decay_steps
        cosine = 0.5 * (1.0 + xp.cos(math.pi * fraction))
        return start * ((1.0 - self.alpha) * cosine + self.alpha)

    def _decay(self, xp, step):
        if self.warmup_target is None:
            return self._cosine(xp, xp.minimum(step, self.decay_steps), self.initial_learning_rate)
        step = xp.minimum(step, self.decay_steps + self.warmup_steps)
        warm = self.initial_learning_rate + (self.warmup_target - self.initial_learning_rate) * (
            step / max(self.warmup_steps, 1))
        decayed = self._cosine(xp, xp.maximum(step - self.warmup_steps, 0.0), self.warmup_target)
        return xp.where(step < self.warmup_steps, warm, decayed)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha, "name": self.name, "warmup_target": self.warmup_target,
                "warmup_steps": self.warmup_steps}


class InverseTimeDecay(_RateDecay):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)`` (the ratio floored if ``staircase``).

    Example: ``InverseTimeDecay(1.0, 1, 0.5)(2)`` is 0.5.
    """

    def _rate(self, xp, p):
        return self.initial_learning_rate / (1.0 + self.decay_rate * p)


class PolynomialDecay(LearningRateSchedule):
    """``(initial - end) * (1 - step / decay_steps) ** power + end``, step capped at ``decay_steps`` (or, with
    ``cycle``, decay_steps stretched to the next multiple above step).

    Example: ``PolynomialDecay(1.0, 10, end_learning_rate=0.0)(5)`` is 0.5.
    """

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0, cycle=False,
                 name="PolynomialDecay"):
        if decay_steps <= 0:
            raise ValueError(f"PolynomialDecay: expected decay_steps > 0, received {decay_steps!r}")
        self.initial_learning_rate, self.decay_steps, self.end_learning_rate = (initial_learning_rate, decay_steps,
                                                                                end_learning_rate)
        self.power, self.cycle, self.name = power, cycle, name

    def _decay(self, xp, step):
        if self.cycle:
            # step 0 keeps multiplier 1 so the first cycle is decay_steps long
            multiplier = xp.where(step <= 0, 1.0, xp.ceil(step / self.decay_steps))
            decay_steps = self.decay_steps * multiplier
        else:
            decay_steps = self.decay_steps
            step = xp.minimum(step, self.decay_steps)
        fraction = step / decay_steps
        return ((self.initial_learning_rate - self.end_learning_rate) * xp.power(1.0 - fraction, self.power)
                + self.end_learning_rate)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "end_learning_rate": self.end_learning_rate, "power": self.power, "cycle": self.cycle,
                "name": self.name}


_CLASSES = {cls.__name__: cls for cls in (ExponentialDecay, PiecewiseConstantDecay, CosineDecay, InverseTimeDecay,
                                          PolynomialDecay)}


def serialize(schedule):
    """``{"class_name": ..., "config": ...}``. Example: ``serialize(CosineDecay(0.1, 100))['class_name']``."""
    return {"class_name": type(schedule).__name__, "config": schedule.get_config()}


def deserialize(config, custom_objects=None):
    """A schedule from a serialized dict (Keras 2 or 3 form) or an instance.

    Example:
        >>> deserialize({'class_name': 'InverseTimeDecay', 'config': {'initial_learning_rate': 1.0,
        ...              'decay_steps': 1, 'decay_rate': 0.5}})(2)
        0.5
    """
    return deserialize_object(config, _CLASSES, custom_objects, "learning rate schedule", LearningRateSchedule)
