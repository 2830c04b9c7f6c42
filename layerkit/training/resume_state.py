"""What a model needs beyond its weights and optimizer slots to continue training exactly where it stopped.

- The data order. ``fit`` shuffles epoch number ``n`` of the model's life with ``default_rng([seed, n])``, where
  ``seed`` is drawn once from NumPy's global generator (so ``set_random_seed`` still decides it) and ``n`` counts
  the epochs the model has trained. Both are part of this state, so a resumed run shuffles its next epoch as the
  uninterrupted run would, whatever else drew from NumPy's generator meanwhile (building a model does).
- The layers' random streams (``Dropout``, recurrent dropout, attention dropout): seed and generator states, also
  for streams a loaded model creates only later, when its training graph is built.
- The learning rate, which callbacks such as ``ReduceLROnPlateau`` change (it is not among the optimizer's slots).

``capture`` gives it as plain JSON-able data; ``restore`` checks everything first and then sets it. HDF5 saves and
``BackupAndRestore`` store it; nothing in it is ever executed (generator kinds come from a fixed table).

Example:
    >>> # state = capture(model); ...; restore(model, state)
"""
import numpy as np

from layerkit_backend.tensor.shared_randomstreams import RandomStreams

__all__ = ["capture", "restore", "epoch_rng"]

_BIT_GENERATORS = {"PCG64": np.random.PCG64, "PCG64DXSM": np.random.PCG64DXSM, "Philox": np.random.Philox,
                   "SFC64": np.random.SFC64, "MT19937": np.random.MT19937}
FORMAT = 1


def epoch_rng(model):
    """The generator that shuffles the model's next epoch (and counts that epoch)."""
    order = model.__dict__.setdefault("_data_order", {"seed": None, "epochs": 0})
    if order["seed"] is None:
        order["seed"] = int(np.random.randint(0, 2 ** 63 - 1, dtype=np.int64))
    rng = np.random.default_rng([order["seed"], order["epochs"]])
    order["epochs"] += 1
    return rng


def _streams(model):
    """Every RandomStreams held by the model's layers, in layer order."""
    from .engine import _all_layers

    return [value for layer in _all_layers(model) for value in vars(layer).values()
            if isinstance(value, RandomStreams)]


def capture(model):
    """The model's resume state as JSON-able data."""
    optimizer = getattr(model, "optimizer", None)
    lr_variable = getattr(optimizer, "_lr_variable", None)
    return {"format": FORMAT,
            "data_order": dict(model.__dict__.get("_data_order", {"seed": None, "epochs": 0})),
            "random_streams": [_streams_state(*streams.get_states()) for streams in _streams(model)],
            "learning_rate": None if lr_variable is None else float(lr_variable.get_value())}


def _streams_state(seedgen, states):
    return {"seed_generator": _generator_state(seedgen), "streams": [_generator_state(g) for g in states]}


def _generator_state(generator):
    """A RandomState or a Generator as JSON-able data (its kind and its bit generator's state)."""
    if isinstance(generator, np.random.RandomState):
        return {"kind": "RandomState", "state": _plain(generator.get_state(legacy=False))}
    state = generator.bit_generator.state
    return {"kind": "Generator", "bit_generator": state["bit_generator"], "state": _plain(state)}


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return {"array": value.tolist(), "dtype": value.dtype.name}
    if isinstance(value, np.generic):
        return value.item()
    return value


def _unplain(value):
    if isinstance(value, dict) and set(value) == {"array", "dtype"}:
        return np.asarray(value["array"], dtype=np.dtype(value["dtype"]))
    if isinstance(value, dict):
        return {k: _unplain(v) for k, v in value.items()}
    return value


def restore(model, state, where="resume state"):
    """Sets what :func:`capture` returned; raises ValueError (changing nothing) if it does not fit the model."""
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        found = state.get("format") if isinstance(state, dict) else type(state).__name__
        raise ValueError(f"{where}: expected a resume state of format {FORMAT}, received {found!r}")
    order = state.get("data_order") or {}
    seed, epochs = order.get("seed"), order.get("epochs", 0)
    if not (seed is None or isinstance(seed, int)) or not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"{where}: data_order must hold an int seed (or null) and a non-negative epoch count, "
                         f"received {order!r}")
    streams = _streams(model)
    saved = state.get("random_streams") or []
    if len(saved) != len(streams):
        raise ValueError(f"{where}: the model's layers hold {len(streams)} RandomStreams, the state has "
                         f"{len(saved)}")
    seedgens, generators = [], []
    for entry in saved:
        if not isinstance(entry, dict) or not isinstance(entry.get("streams"), list):
            raise ValueError(f"{where}: a damaged random streams entry {str(entry)[:80]!r}")
        seedgens.append(_generator(entry.get("seed_generator"), where))
        generators.append([_generator(g, where) for g in entry["streams"]])
    lr = state.get("learning_rate")
    lr_variable = getattr(getattr(model, "optimizer", None), "_lr_variable", None)
    if lr is not None and not isinstance(lr, (int, float)):
        raise ValueError(f"{where}: learning_rate must be a number, received {lr!r}")
    model.__dict__["_data_order"] = {"seed": seed, "epochs": epochs}
    for owner, seedgen, owned in zip(streams, seedgens, generators):
        owner.set_states(seedgen, owned)
    if lr is not None and lr_variable is not None:
        lr_variable.set_value(np.asarray(lr, dtype=lr_variable.dtype))


def _generator(entry, where):
    """A RandomState or Generator from :func:`_generator_state`'s data; kinds come from a fixed table."""
    kind = entry.get("kind") if isinstance(entry, dict) else None
    bit_kind = entry.get("bit_generator") if kind == "Generator" else "MT19937"
    if kind not in ("RandomState", "Generator") or bit_kind not in _BIT_GENERATORS:
        raise ValueError(f"{where}: unknown random generator kind {kind!r}/{bit_kind!r}; expected a RandomState or "
                         f"a Generator over one of {sorted(_BIT_GENERATORS)}")
    try:
        if kind == "RandomState":
            generator = np.random.RandomState()
            generator.set_state(_unplain(entry["state"]))
            return generator
        bit_generator = _BIT_GENERATORS[bit_kind]()
        bit_generator.state = _unplain(entry["state"])
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{where}: a damaged {kind} state ({error})") from None
    return np.random.Generator(bit_generator)
