"""Optimizers that return update pairs ``[(variable, new_value), ...]`` with Keras 3's update formulas.

Training compiles into one backend function: ``lb.function(inputs, loss, updates=opt.get_updates(loss, params))``.
State (``iterations``, the slots of each parameter) lives in shared variables, so ``get_weights``/``set_weights``
save and restore it exactly; ``learning_rate`` is a shared variable too (unless it is a schedule), so changing it
affects functions already compiled.

Example:
    >>> import numpy as np, layerkit_backend as lb, layerkit_backend.tensor as T
    >>> from layerkit import optimizers
    >>> w = lb.shared(np.array([1.0, -2.0]), name='w')
    >>> opt = optimizers.get('sgd')
    >>> step = lb.function([], T.sum(w ** 2), updates=opt.get_updates(T.sum(w ** 2), [w]))
    >>> _ = step(); w.get_value()
    array([ 0.98, -1.96])
"""
import warnings

import numpy as np

import layerkit_backend as lb
import layerkit_backend.tensor as T

from layerkit import optimizer_schedules as schedules
from layerkit.initializers import deserialize_object
from layerkit.tracing import record_assignments

__all__ = ["Optimizer", "SGD", "RMSprop", "Adagrad", "Adadelta", "Adam", "Adamax", "Nadam", "AdamW", "Lion", "Ftrl",
           "Adafactor", "Lamb", "schedules", "serialize", "deserialize", "get"]

# Keras 3 configuration keys for features not provided here: accepted when they leave the feature off
_OFF_KEYS = {"loss_scale_factor": None}
# ... and keys without effect here
_IGNORED_KEYS = ("jit_compile", "is_legacy_optimizer")


class Optimizer:
    """Base class. Subclasses list their slot kinds in ``_slots`` (Keras 2's weight order) and implement
    ``_update_rule(g, value, lr, slots, ctx) -> (new_value, {kind: new_slot})``.

    Args:
        learning_rate: a float, or a ``LearningRateSchedule`` evaluated at ``iterations``.
        weight_decay: if set, ``w -= w * weight_decay * lr`` before each step (decoupled, as in Keras 3).
        clipnorm: clip each gradient to this L2 norm. global_clipnorm: clip all gradients to this joint norm.
        clipvalue: clip each gradient element to [-clipvalue, clipvalue].
        use_ema: keep an exponential moving average of every parameter (``ema_momentum``, updated after each
            step); ``fit`` replaces the parameters by their averages when it ends, and every
            ``ema_overwrite_frequency`` steps if set (Keras 3's rule).
        gradient_accumulation_steps: apply one update every n steps with the mean of the n gradients (the
            steps between only accumulate; ``iterations`` and schedules count every step, as in Keras 3).
    """
    _slots = ()
    _slot_initial = {}

    def __init__(self, learning_rate=0.001, weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 name=None, use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 gradient_accumulation_steps=None, **kwargs):
        owner = type(self).__name__
        if "lr" in kwargs:
            warnings.warn(f"{owner}: `lr` is deprecated, use `learning_rate`", DeprecationWarning, stacklevel=3)
            learning_rate = kwargs.pop("lr")
        self.decay = float(kwargs.pop("decay", 0.0) or 0.0)
        if self.decay:
            warnings.warn(f"{owner}: `decay` is deprecated, use learning_rate=InverseTimeDecay(...)",
                          DeprecationWarning, stacklevel=3)
        for key, off in _OFF_KEYS.items():
            value = kwargs.pop(key, off)
            if value not in (off, None, False):
                raise ValueError(f"{owner}: {key}={value!r} is not supported (only {off!r})")
        for key in _IGNORED_KEYS:
            kwargs.pop(key, None)
        if kwargs:
            raise TypeError(f"{owner}: unexpected keyword arguments {sorted(kwargs)}")
        if clipnorm is not None and global_clipnorm is not None:
            raise ValueError(f"{owner}: only one of clipnorm and global_clipnorm can be set, received "
                             f"clipnorm={clipnorm!r}, global_clipnorm={global_clipnorm!r}")
        if not 0.0 <= float(ema_momentum) <= 1.0:
            raise ValueError(f"{owner}: expected ema_momentum in [0, 1], received {ema_momentum!r}")
        for key, value in (("ema_overwrite_frequency", ema_overwrite_frequency),
                           ("gradient_accumulation_steps", gradient_accumulation_steps)):
            if value is not None and (not isinstance(value, (int, np.integer)) or value < 1):
                raise ValueError(f"{owner}: expected {key} to be a positive integer or None, received {value!r}")
        self.use_ema, self.ema_momentum = bool(use_ema), float(ema_momentum)
        self.ema_overwrite_frequency = ema_overwrite_frequency if self.use_ema else None
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self._averages, self._accumulators = [], []
        self.name = name or type(self).__name__.lower()
        self.weight_decay, self.clipnorm, self.clipvalue, self.global_clipnorm = (weight_decay, clipnorm, clipvalue,
                                                                                 global_clipnorm)
        self._iterations = lb.shared(np.int64(0), name=f"{self.name}/iterations")
        if isinstance(learning_rate, dict):
            learning_rate = schedules.deserialize(learning_rate)
        self._schedule = learning_rate if isinstance(learning_rate, schedules.LearningRateSchedule) else None
        self._lr_variable = None
        if self._schedule is None:
            self._lr_variable = lb.shared(np.asarray(float(learning_rate), dtype=lb.config.floatX),
                                          name=f"{self.name}/learning_rate")
        self._params = []  # in the order their slots were created
        self._slot_vars = {kind: [] for kind in self._slots}
        self._global_vars = []  # optimizer-wide state beyond iterations (Nadam's u_product)

    # -- the learning rate ------------------------------------------------------------------------------------
    @property
    def learning_rate(self):
        """The current learning rate as a float (a schedule is evaluated at ``iterations``); settable to a float."""
        if self._schedule is not None:
            return self._schedule(int(self._iterations.get_value()))
        return float(self._lr_variable.get_value())

    @learning_rate.setter
    def learning_rate(self, value):
        if self._schedule is not None:
            raise TypeError(f"{type(self).__name__}: the learning rate is the schedule "
                            f"{type(self._schedule).__name__} given to the constructor, so it is not settable")
        self._lr_variable.set_value(np.asarray(float(value), dtype=self._lr_variable.dtype))

    @property
    def lr(self):
        """Keras 2's ``optimizer.lr``: the shared variable holding the learning rate (for ``K.set_value``)."""
        if self._lr_variable is None:
            raise AttributeError(f"{type(self).__name__} has a learning-rate schedule, not a variable")
        return self._lr_variable

    def _lr_expression(self):
        lr = self._schedule(self._iterations) if self._schedule is not None else self._lr_variable
        if self.decay:
            lr = lr * (1.0 / (1.0 + self.decay * T.cast(self._iterations, lb.config.floatX)))
        return lr

    # -- state ------------------------------------------------------------------------------------------------
    @property
    def iterations(self):
        """The step counter: the shared variable counting ``apply_gradients`` calls, or with
        ``gradient_accumulation_steps`` a read-only view counting applied updates (Keras 3's
        ``iterations // gradient_accumulation_steps``; schedules still read every call)."""
        if not self.gradient_accumulation_steps:
            return self._iterations
        return _UpdateCount(self._iterations, self.gradient_accumulation_steps)

    def _update_count(self):
        """The number of updates applied so far, as an expression (``iterations``' value)."""
        if not self.gradient_accumulation_steps:
            return self._iterations
        return self._iterations // self.gradient_accumulation_steps

    def _build(self, params):
        for p in params:
            if any(p is q for q in self._params):
                continue
            if not hasattr(p, "get_value"):
                raise TypeError(f"{type(self).__name__}: expected shared variables as params, received {p!r}")
            value = p.get_value()
            for kind in self._slots:
                init = self._slot_value(kind, value)
                self._slot_vars[kind].append(lb.shared(init, name=f"{self.name}/{p.name}/{kind}"))
            if self.use_ema:
                self._averages.append(lb.shared(np.array(value), name=f"{self.name}/{p.name}/average"))
            if self.gradient_accumulation_steps:
                self._accumulators.append(lb.shared(np.zeros_like(value), name=f"{self.name}/{p.name}/accumulated"))
            self._params.append(p)

    def _slot_value(self, kind, value):
        """The initial value of a slot of ``kind`` for a parameter holding ``value`` (its shape by default)."""
        return np.full_like(value, self._slot_initial.get(kind, 0.0))

    def variables(self):
        """``[iterations] + optimizer-wide state + slots`` (all parameters' first slot kind, then the next...), then
        the moving averages (``use_ema``) and the gradient accumulators, if any."""
        return ([self._iterations] + self._global_vars + [v for kind in self._slots for v in self._slot_vars[kind]]
                + self._averages + self._accumulators)

    def get_weights(self):
        """The values of ``variables()`` as NumPy arrays (copies)."""
        return [np.array(v.get_value()) for v in self.variables()]

    def set_weights(self, weights):
        """Restores values returned by ``get_weights`` (after ``get_updates`` built the slots)."""
        variables = self.variables()
        if len(weights) != len(variables):
            raise ValueError(f"{type(self).__name__}.set_weights: expected {len(variables)} arrays "
                             f"(iterations + slots; call get_updates first to create slots), received {len(weights)}")
        values = []   # all checked before any is set: a bad array leaves the optimizer unchanged
        for var, value in zip(variables, weights):
            value = np.asarray(value)
            current = var.get_value(borrow=True)
            if value.shape != current.shape:
                raise ValueError(f"{type(self).__name__}.set_weights: expected shape {current.shape} for "
                                 f"{var.name}, received {value.shape}")
            values.append(value.astype(current.dtype))
        for var, value in zip(variables, values):
            var.set_value(value)

    # -- updates ----------------------------------------------------------------------------------------------
    def get_updates(self, loss, params):
        """Update pairs for ``params``, their slots and ``iterations`` minimising the scalar ``loss``."""
        params = list(params)
        return self._gradient_updates(zip(lb.grad(loss, params), params))

    def _clip(self, grads):
        if self.clipnorm is not None:
            grads = [g * (self.clipnorm / T.maximum(T.sqrt(T.sum(T.square(g))), self.clipnorm)) for g in grads]
        if self.global_clipnorm is not None:
            norm = T.sqrt(sum(T.sum(T.square(g)) for g in grads))
            grads = [g * T.cast(self.global_clipnorm / T.maximum(norm, self.global_clipnorm), g.dtype)
                     for g in grads]
        if self.clipvalue is not None:
            grads = [T.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    def _prepare_step(self, local_step):
        """Per-step context shared by all parameters, and extra update pairs (none by default)."""
        return {}, []

    def apply_gradients(self, grads_and_vars):
        """Update pairs applying ``[(gradient, variable), ...]``, with ``iterations`` incremented.

        Inside a custom ``train_step`` (a step that collects assignments) the pairs are also recorded, so the
        step's compiled function applies them: Keras 3's ``optimizer.apply_gradients(zip(grads, variables))``.
        """
        grads_and_vars = list(grads_and_vars)
        pairs = self._gradient_updates(grads_and_vars)
        # Keras 3 applies a variable's constraint after the step (the built-in training step does it itself)
        record_assignments([(v, v.constraint(new) if getattr(v, "constraint", None) is not None else new)
                            for v, new in pairs], boundary=[g for g, _ in grads_and_vars])
        return pairs

    def apply(self, grads, trainable_variables=None):
        """Keras 3's ``optimizer.apply(grads, trainable_variables)``: ``apply_gradients(zip(grads, variables))``
        (the variables default to those the optimizer has already seen, in order)."""
        variables = list(self._params) if trainable_variables is None else list(trainable_variables)
        grads = list(grads)
        if len(grads) != len(variables):
            raise ValueError(f"{type(self).__name__}.apply: {len(grads)} gradients for {len(variables)} variables")
        return self.apply_gradients(zip(grads, variables))

    def _gradient_updates(self, grads_and_vars):
        pairs = [(g, p) for g, p in grads_and_vars]
        params = [p for _, p in pairs]
        self._build(params)
        indices = [next(i for i, q in enumerate(self._params) if q is p) for p in params]
        grads = [T.as_tensor_variable(g) for g, _ in pairs]
        local_step = self._update_count() + 1
        applying, updates = None, []
        if self.gradient_accumulation_steps:
            # every step computes the update; only every n-th step keeps it (Keras 3 on JAX does the same)
            applying = T.eq(T.mod(self._iterations + 1, self.gradient_accumulation_steps), 0)
            accumulated = [self._accumulators[i] for i in indices]
            grads = [(g + T.cast(a, g.dtype)) / self.gradient_accumulation_steps for g, a in zip(grads, accumulated)]
            updates += [(a, T.switch(applying, T.zeros_like(a), a + T.cast(g, a.dtype)))
                        for a, (g, _) in zip(accumulated, pairs)]
        grads = self._clip(grads)
        lr = self._lr_expression()
        ctx, state = self._prepare_step(local_step)
        new_params = []
        for g, p, index in zip(grads, params, indices):
            slots = {kind: self._slot_vars[kind][index] for kind in self._slots}
            lr_p = T.cast(lr, p.dtype)
            value = p
            if self.weight_decay:
                value = p - p * (lr_p * self.weight_decay)
            step = T.cast(local_step, p.dtype)
            new_value, new_slots = self._update_rule(T.cast(g, p.dtype), value, lr_p, slots, dict(ctx, step=step))
            new_params.append(T.cast(new_value, p.dtype))
            state.extend((slots[kind], T.cast(v, slots[kind].dtype)) for kind, v in new_slots.items())
        if applying is not None:
            new_params = [T.switch(applying, new, p) for new, p in zip(new_params, params)]
            state = [(var, T.switch(applying, new, var)) for var, new in state]
        if self.use_ema:
            new_params, averages = self._moving_averages(params, indices, new_params)
            updates += averages
        updates += list(zip(params, new_params)) + state
        updates.append((self._iterations, self._iterations + 1))
        return updates

    def _moving_averages(self, params, indices, new_params):
        """(parameters, average update pairs): averages of the new values (momentum 0 at the first step), which
        replace the parameters every ``ema_overwrite_frequency`` steps."""
        first = T.eq(self._update_count(), 0)
        pairs, final = [], []
        for p, index, new in zip(params, indices, new_params):
            average = self._averages[index]
            momentum = T.switch(first, 0.0, self.ema_momentum)
            value = T.cast(momentum * average + (1.0 - momentum) * new, average.dtype)
            pairs.append((average, value))
            if self.ema_overwrite_frequency:
                overwrite = T.eq(T.mod(self._update_count() + 1, self.ema_overwrite_frequency), 0)
                new = T.switch(overwrite, T.cast(value, new.dtype), new)
            final.append(new)
        return final, pairs

    def finalize_variable_values(self, var_list=None):
        """With ``use_ema``, sets every parameter to its moving average (``fit`` calls it when training ends)."""
        if self.use_ema:
            for p, average in zip(self._params, self._averages):
                p.set_value(average.get_value().astype(p.get_value(borrow=True).dtype))

    def _update_rule(self, g, value, lr, slots, ctx):
        raise NotImplementedError(f"{type(self).__name__} must implement _update_rule")

    # -- configuration ----------------------------------------------------------------------------------------
    def get_config(self):
        lr = (schedules.serialize(self._schedule) if self._schedule is not None
              else float(self._lr_variable.get_value()))
        config = {"name": self.name, "learning_rate": lr, "weight_decay": self.weight_decay,
                  "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm, "clipvalue": self.clipvalue,
                  "use_ema": self.use_ema, "ema_momentum": self.ema_momentum,
                  "ema_overwrite_frequency": self.ema_overwrite_frequency,
                  "gradient_accumulation_steps": self.gradient_accumulation_steps}
        if self.decay:
            config["decay"] = self.decay
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"], custom_objects)
        return cls(**config)


def _arguments(obj, names):
    return {name: getattr(obj, name) for name in names}


class _UpdateCount:
    """``iterations`` of an optimizer that accumulates gradients: the calls counted by ``variable`` divided by the
    accumulation steps (``get_value``, ``int()``), read-only."""

    def __init__(self, variable, steps):
        self.variable, self.steps = variable, steps

    def get_value(self, borrow=False):
        return np.int64(self.variable.get_value() // self.steps)

    def __int__(self):
        return int(self.get_value())

    def __repr__(self):
        return f"<iterations {int(self)} ({int(self.variable.get_value())} steps / {self.steps})>"


class SGD(Optimizer):
    """Gradient descent with optional (Nesterov) momentum: ``m = momentum * m - lr * g``; ``w += m`` (or
    ``w += momentum * m - lr * g`` with nesterov).

    Example: ``SGD(learning_rate=0.1, momentum=0.9, nesterov=True).get_updates(loss, [w])``.
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name="SGD", **kwargs):
        if not 0 <= momentum <= 1:
            raise ValueError(f"SGD: expected momentum in [0, 1], received {momentum!r}")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)
        self._slots = ("momentum",) if momentum else ()
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)

    def _update_rule(self, g, value, lr, slots, ctx):
        if not self.momentum:
            return value - lr * g, {}
        m = self.momentum * slots["momentum"] - lr * g
        if self.nesterov:
            return value + (self.momentum * m - lr * g), {"momentum": m}
        return value + m, {"momentum": m}

    def get_config(self):
        return {**super().get_config(), **_arguments(self, ("momentum", "nesterov"))}


class RMSprop(Optimizer):
    """``v = rho * v + (1 - rho) * g**2``; ``w -= lr * g / sqrt(v + epsilon)`` (``v - mean_g**2`` if centered),
    through a momentum accumulator when ``momentum > 0``.

    Example: ``RMSprop(learning_rate=0.001, centered=True).get_updates(loss, [w])``.
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, name="rmsprop",
                 **kwargs):
        self.rho, self.momentum, self.epsilon, self.centered = float(rho), float(momentum), epsilon, bool(centered)
        self._slots = ("velocity",) + (("momentum",) if momentum else ()) + (("average_gradient",) if centered
                                                                              else ())
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)

    def _update_rule(self, g, value, lr, slots, ctx):
        new = {"velocity": self.rho * slots["velocity"] + (1 - self.rho) * T.square(g)}
        denominator = new["velocity"] + self.epsilon
        if self.centered:
            new["average_gradient"] = self.rho * slots["average_gradient"] + (1 - self.rho) * g
            denominator = denominator - T.square(new["average_gradient"])
        increment = lr * g / T.sqrt(denominator)
        if self.momentum:
            new["momentum"] = self.momentum * slots["momentum"] + increment
            increment = new["momentum"]
        return value - increment, new

    def get_config(self):
        return {**super().get_config(), **_arguments(self, ("rho", "momentum", "epsilon", "centered"))}


class Adagrad(Optimizer):
    """``a += g**2``; ``w -= lr * g / sqrt(a + epsilon)``, ``a`` starting at ``initial_accumulator_value``.

    Example: ``Adagrad(learning_rate=0.1).get_updates(loss, [w])``.
    """
    _slots = ("accumulator",)

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, name="adagrad", **kwargs):
        self.initial_accumulator_value, self.epsilon = float(initial_accumulator_value), epsilon
        self._slot_initial = {"accumulator": self.initial_accumulator_value}
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)

    def _update_rule(self, g, value, lr, slots, ctx):
        accumulator = slots["accumulator"] + T.square(g)
        return value - lr * g / T.sqrt(accumulator + self.epsilon), {"accumulator": accumulator}

    def get_config(self):
        return {**super().get_config(), **_arguments(self, ("initial_accumulator_value", "epsilon"))}


class Adadelta(Optimizer):
    """``a = rho * a + (1 - rho) * g**2``; ``d = -sqrt(D + eps) / sqrt(a + eps) * g``;
    ``D = rho * D + (1 - rho) * d**2``; ``w += lr * d``.

    Example: ``Adadelta(learning_rate=1.0).get_updates(loss, [w])``.
    """
    _slots = ("accumulated_grad", "accumulated_delta_var")

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, name="adadelta", **kwargs):
        self.rho, self.epsilon = float(rho), epsilon
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)

    def _update_rule(self, g, value, lr, slots, ctx):
        grad_acc = self.rho * slots["accumulated_grad"] + (1 - self.rho) * T.square(g)
        delta = -T.sqrt(slots["accumulated_delta_var"] + self.epsilon) / T.sqrt(grad_acc + self.epsilon) * g
        delta_acc = self.rho * slots["accumulated_delta_var"] + (1 - self.rho) * T.square(delta)
        return value + lr * delta, {"accumulated_grad": grad_acc, "accumulated_delta_var": delta_acc}

    def get_config(self):
        return {**super().get_config(), **_arguments(self, ("rho", "epsilon"))}


class Adam(Optimizer):
    """``m += (1 - b1) * (g - m)``; ``v += (1 - b2) * (g**2 - v)`` (``v`` replaced by its running maximum if
    amsgrad); ``w -= lr * sqrt(1 - b2**t) / (1 - b1**t) * m / (sqrt(v) + epsilon)``.

    Example: ``Adam(learning_rate=0.01, amsgrad=True).get_updates(loss, [w])``.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, name="adam",
                 **kwargs):
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = float(beta_1), float(beta_2), epsilon, bool(amsgrad)
        self._slots = ("momentum", "velocity") + (("velocity_hat",) if amsgrad else ())
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)

    def _update_rule(self, g, value, lr, slots, ctx):
        step = ctx["step"]
        alpha = lr * T.sqrt(1 - T.pow(self.beta_2, step)) / (1 - T.pow(self.beta_1, step))
        new = {"momentum": slots["momentum"] + (g - slots["momentum"]) * (1 - self.beta_1),
               "velocity": slots["velocity"] + (T.square(g) - slots["velocity"]) * (1 - self.beta_2)}
        v = new["velocity"]
        if self.amsgrad:
            v = new["velocity_hat"] = T.maximum(slots["velocity_hat"], v)
        return value - new["momentum"] * alpha / (T.sqrt(v) + self.epsilon), new

    def get_config(self):
        return {**super().get_config(), **_arguments(self, ("beta_1", "beta_2", "epsilon", "amsgrad"))}


class AdamW(Adam):
    """Adam with decoupled weight decay: ``w -= w * weight_decay * lr`` before the Adam step.

    Example: ``AdamW(learning_rate=0.001, weight_decay=0.004).get_updates(loss, [w])``.
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, name="adamw", **kwargs):
        if not weight_decay:
            raise ValueError(f"AdamW: expected a weight_decay > 0, received {weight_decay!r}")
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         amsgrad=amsgrad, name=name, weight_decay=weight_decay, **kwargs)


class Adamax(Optimizer):
    """``m += (1 - b1) * (g - m)``; ``u = max(b2 * u, |g|)``; ``w -= lr * m / ((1 - b1**t) * (u + epsilon))``.

    Example: ``Adamax(learning_rate=0.002).get_updates(loss, [w])``.
    """
    _slots = ("m", "u")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name="adamax", **kwargs):
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), epsilon
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)

    def _update_rule(self, g, value, lr, slots, ctx):
        m = slots["m"] + (g - slots["m"]) * (1 - self.beta_1)
        u = T.maximum(self.beta_2 * slots["u"], T.abs(g))
        return value - lr * m / ((1 - T.pow(self.beta_1, ctx["step"])) * (u + self.epsilon)), {"m": m, "u": u}

    def get_config(self):
        return {**super().get_config(), **_arguments(self, ("beta_1", "beta_2", "epsilon"))}


class Nadam(Optimizer):
    """Adam with Nesterov momentum and Dozat's momentum schedule ``u_t = b1 * (1 - 0.5 * 0.96**t)``; the product
    of the ``u_t`` is optimizer state (``u_product``, after ``iterations`` in ``variables()``).

    Example: ``Nadam(learning_rate=0.002).get_updates(loss, [w])``.
    """
    _slots = ("momentum", "velocity")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name="nadam", **kwargs):
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), epsilon
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self._u_product = lb.shared(np.float64(1.0), name=f"{self.name}/u_product")
        self._global_vars = [self._u_product]

    def _prepare_step(self, local_step):
        t = T.cast(local_step, "float64")
        u_t = self.beta_1 * (1.0 - 0.5 * T.pow(0.96, t))
        u_next = self.beta_1 * (1.0 - 0.5 * T.pow(0.96, t + 1))
        u_product = self._u_product * u_t
        ctx = {"u_t": u_t, "u_next": u_next, "u_product": u_product, "u_product_next": u_product * u_next}
        return ctx, [(self._u_product, u_product)]

    def _update_rule(self, g, value, lr, slots, ctx):
        dtype = value.dtype
        u_t, u_next, u_product, u_product_next = (T.cast(ctx[k], dtype)
                                                  for k in ("u_t", "u_next", "u_product", "u_product_next"))
        m = slots["momentum"] + (g - slots["momentum"]) * (1 - self.beta_1)
        v = slots["velocity"] + (T.square(g) - slots["velocity"]) * (1 - self.beta_2)
        m_hat = u_next * m / (1 - u_product_next) + (1 - u_t) * g / (1 - u_product)
        v_hat = v / (1 - T.pow(self.beta_2, ctx["step"]))
        return value - lr * m_hat / (T.sqrt(v_hat) + self.epsilon), {"momentum": m, "velocity": v}

    def get_config(self):
        return {**super().get_config(), **_arguments(self, ("beta_1", "beta_2", "epsilon"))}


class Lion(Optimizer):
    """``w -= lr * sign(b1 * m + (1 - b1) * g)``; then ``m = b2 * m + (1 - b2) * g`` (Chen et al., 2023; Keras 3's
    ``Lion``).

    Example: ``Lion(learning_rate=0.0001).get_updates(loss, [w])``.
    """
    _slots = ("momentum",)

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, name="lion", **kwargs):
        if not 0.0 <= beta_1 <= 1.0:
            raise ValueError(f"Lion: beta_1 must be in [0, 1], received {beta_1}")
        self.beta_1, self.beta_2 = float(beta_1), float(beta_2)
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)

    def _update_rule(self, g, value, lr, slots, ctx):
        m = slots["momentum"]
        step = T.sgn(m * self.beta_1 + g * (1.0 - self.beta_1))
        return value - lr * step, {"momentum": m * self.beta_2 + g * (1.0 - self.beta_2)}

    def get_config(self):
        return {**super().get_config(), **_arguments(self, ("beta_1", "beta_2"))}


class Ftrl(Optimizer):
    """Follow-the-regularized-leader (McMahan et al., 2013) with L1/L2 regularisation, Keras 3's ``Ftrl``:
    ``n += g**2``; ``z += g' - (n_new**-p - n**-p) / lr * w``; ``w = (clip(z, -l1, l1) - z) / (n_new**-p / lr +
    2 l2)`` with ``p = learning_rate_power`` and ``g' = g + 2 l2_shrinkage w``.

    Example: ``Ftrl(learning_rate=0.1, l1_regularization_strength=0.01).get_updates(loss, [w])``.
    """
    _slots = ("accumulator", "linear")

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 l2_shrinkage_regularization_strength=0.0, beta=0.0, name="ftrl", **kwargs):
        for key, value in (("initial_accumulator_value", initial_accumulator_value),
                           ("l1_regularization_strength", l1_regularization_strength),
                           ("l2_regularization_strength", l2_regularization_strength),
                           ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength)):
            if value < 0:
                raise ValueError(f"Ftrl: expected {key} >= 0, received {value!r}")
        if learning_rate_power > 0:
            raise ValueError(f"Ftrl: expected learning_rate_power <= 0, received {learning_rate_power!r}")
        self.learning_rate_power = float(learning_rate_power)
        self.initial_accumulator_value = float(initial_accumulator_value)
        self.l1_regularization_strength = float(l1_regularization_strength)
        self.l2_regularization_strength = float(l2_regularization_strength)
        self.l2_shrinkage_regularization_strength = float(l2_shrinkage_regularization_strength)
        self.beta = float(beta)
        self._slot_initial = {"accumulator": self.initial_accumulator_value}
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)

    def _update_rule(self, g, value, lr, slots, ctx):
        power = -self.learning_rate_power
        l2 = self.l2_regularization_strength + self.beta / (2.0 * lr)
        shrunk = g + 2 * self.l2_shrinkage_regularization_strength * value
        accumulator = slots["accumulator"]
        new_accumulator = accumulator + T.square(g)
        linear = slots["linear"] + shrunk - (T.pow(new_accumulator, power) - T.pow(accumulator, power)) / lr * value
        quadratic = T.pow(new_accumulator, power) / lr + 2 * l2
        l1 = self.l1_regularization_strength
        new_value = (T.clip(linear, -l1, l1) - linear) / quadratic
        return new_value, {"accumulator": new_accumulator, "linear": linear}

    def get_config(self):
        return {**super().get_config(), **_arguments(self, (
            "learning_rate_power", "initial_accumulator_value", "l1_regularization_strength",
            "l2_regularization_strength", "l2_shrinkage_regularization_strength", "beta"))}


class Adafactor(Optimizer):
    """Adafactor (Shazeer & Stern, 2018), Keras 3's: second moments factored into row and column averages for
    parameters of rank >= 2 (``r``, ``c``), kept whole for vectors (``v``); decay ``1 - t**beta_2_decay``; the
    step is clipped to RMS ``clip_threshold`` and scaled by ``max(epsilon_2, rms(w)) * min(lr, 1 / sqrt(t))``.

    Example: ``Adafactor(learning_rate=0.01).get_updates(loss, [w])``.
    """
    _slots = ("r", "c", "v")

    def __init__(self, learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3, clip_threshold=1.0,
                 relative_step=True, name="adafactor", **kwargs):
        self.beta_2_decay, self.epsilon_1, self.epsilon_2 = float(beta_2_decay), float(epsilon_1), float(epsilon_2)
        self.clip_threshold, self.relative_step = float(clip_threshold), bool(relative_step)
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)

    def _slot_value(self, kind, value):
        if kind == "v" or value.ndim < 2:
            return np.zeros_like(value) if kind == "v" else np.zeros((), dtype=value.dtype)
        return np.zeros(value.shape[:-1] if kind == "r" else value.shape[:-2] + value.shape[-1:], value.dtype)

    @staticmethod
    def _rms(x):
        return T.sqrt(T.mean(T.square(x)))

    def _update_rule(self, g, value, lr, slots, ctx):
        step = ctx["step"]
        if self.relative_step and self._schedule is None:
            lr = T.minimum(lr, 1.0 / T.sqrt(step))
        rho = T.minimum(lr, 1.0 / T.sqrt(step))
        alpha = T.maximum(self.epsilon_2, self._rms(value)) * rho
        squared = T.square(g) + self.epsilon_1
        decay = 1.0 - T.pow(step, self.beta_2_decay)
        new = {}
        if value.ndim >= 2:
            new["r"] = decay * slots["r"] + (1 - decay) * T.mean(squared, axis=-1)
            new["c"] = decay * slots["c"] + (1 - decay) * T.mean(squared, axis=-2)
            row = new["r"] / T.mean(new["r"], axis=-1, keepdims=True)
            new["v"] = T.shape_padright(row) * T.shape_padaxis(new["c"], -2)
        else:
            new["v"] = decay * slots["v"] + (1 - decay) * squared
        u = g / T.sqrt(new["v"])
        u = u / T.maximum(1.0, self._rms(u) / self.clip_threshold)
        return value - alpha * u, new

    def get_config(self):
        return {**super().get_config(), **_arguments(self, ("beta_2_decay", "epsilon_1", "epsilon_2",
                                                            "clip_threshold", "relative_step"))}


class Lamb(Optimizer):
    """LAMB (You et al., 2019), Keras 3's: Adam's bias-corrected step scaled per parameter by the trust ratio
    ``||w|| / ||step||`` (1 when either norm is 0).

    Example: ``Lamb(learning_rate=0.01).get_updates(loss, [w])``.
    """
    _slots = ("momentum", "velocity")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name="lamb", **kwargs):
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), epsilon
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)

    def _update_rule(self, g, value, lr, slots, ctx):
        step = ctx["step"]
        m = slots["momentum"] + (g - slots["momentum"]) * (1 - self.beta_1)
        v = slots["velocity"] + (T.square(g) - slots["velocity"]) * (1 - self.beta_2)
        update = (m / (1.0 - T.pow(self.beta_1, step))) / (T.sqrt(v / (1.0 - T.pow(self.beta_2, step)))
                                                           + self.epsilon)
        w_norm, u_norm = T.sqrt(T.sum(T.square(value))), T.sqrt(T.sum(T.square(update)))
        ratio = T.switch(T.gt(w_norm, 0), T.switch(T.gt(u_norm, 0), w_norm / T.switch(T.gt(u_norm, 0), u_norm, 1.0),
                                                   1.0), 1.0)
        return value - ratio * lr * update, {"momentum": m, "velocity": v}

    def get_config(self):
        return {**super().get_config(), **_arguments(self, ("beta_1", "beta_2", "epsilon"))}


_CLASSES = {cls.__name__: cls for cls in (SGD, RMSprop, Adagrad, Adadelta, Adam, Adamax, Nadam, AdamW, Lion, Ftrl,
                                          Adafactor, Lamb)}
_CLASSES.update({name.lower(): cls for name, cls in _CLASSES.items()})


def serialize(optimizer):
    """``{"class_name": ..., "config": ...}``. Example: ``serialize(Adam())['class_name'] == 'Adam'``."""
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config, custom_objects=None):
    """An optimizer from a name ('adam', 'Adam'), a serialized dict or an instance.

    Example:
        >>> deserialize({'class_name': 'SGD', 'config': {'learning_rate': 0.1, 'momentum': 0.9}}).momentum
        0.9
    """
    return deserialize_object(config, _CLASSES, custom_objects, "optimizer", Optimizer)


def get(identifier):
    """``deserialize`` for Keras's ``optimizers.get``. Example: ``type(get('rmsprop')).__name__ == 'RMSprop'``."""
    return deserialize(identifier)
