"""The Keras 3 conformance runner: one program per case, run by Keras (recording) and by layerkit (replay).

A case is a small Keras program ``program(s)`` written once against ``s.kl`` (``keras`` or ``layerkit``). It reads
its data from ``s.d``, hands each model it builds to ``s.start(model)`` and puts what it observes into ``s.out``
(usually through :func:`train_and_report`, the standard fit / evaluate / predict program). ``record_keras.py``
runs every case in Keras: ``s.start`` stores Keras's initial weights, and the data, weights and results go into
``fixtures/<group>.json`` + ``.npz``. The replay (``test_keras_conformance.py``) runs the same program with
``s.kl = layerkit``: ``s.start`` loads Keras's initial weights, and :func:`compare` checks layerkit's results
against Keras's, leaf by leaf, with the tolerances of :class:`Tolerance`.

Example:
    >>> s = Session(kl=None, data={}, recording=True)
    >>> s.out["n"] = 3
    >>> encode(s.out, _Pool())
    {'n': 3}
"""
import json
import os
import tempfile

import numpy as np

__all__ = ["Case", "Session", "Tolerance", "train_and_report", "evaluate_names", "encode", "decode", "compare",
           "FIXTURES", "ADJUSTMENTS", "compare_value", "expected_results", "attempt", "h5_tree", "h5_legacy_layers", "save_group", "load_group", "CallOrder"]

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


class Tolerance:
    """(rtol, atol) for the first epoch's numbers (``tight``) and for everything after more steps (``drift``):
    float32 rounding differs between XLA and NumPy, and each step carries the last step's difference forward."""

    def __init__(self, tight=(1e-3, 1e-5), drift=(5e-3, 1e-4), keys=None):
        self.tight, self.drift = tight, drift
        self.keys = dict(keys or {})   # a top-level result key -> (rtol, atol) for every leaf under it

    def for_path(self, path):
        if path and path[0] in ("main", "expanded"):
            path = path[1:]   # the two runs of a rank-below case (see programs.dense_case)
        if path and path[0] in self.keys:
            return self.keys[path[0]]
        if path and path[0] == "history" and len(path) == 3 and path[2] == 0:
            return self.tight   # ('history', key, epoch 0)
        if path and path[0] in ("initial", "count_params"):
            return self.tight
        return self.drift


class Case:
    """One conformance case: ``name`` ('group/what'), ``program(s)``, ``data(rng) -> dict of arrays``.

    ``backend`` is the Keras backend the recording uses: 'jax', or 'torch' where Keras on JAX does not do what
    Keras documents (docs/keras_compatibility.md says where). ``differs`` names the deliberate differences (anchors in docs/keras_compatibility.md) the case meets. An
    anchor in ``ADJUSTMENTS`` turns Keras's results into what layerkit documents (and fails if Keras's results
    do not show the difference); ``check(keras, layerkit, tol)`` verifies the keys listed in ``skip``, which are
    left out of the leaf-by-leaf comparison.
    """

    def __init__(self, name, program, data=None, tol=None, differs=(), skip=(), check=None, seed=0,
                 backend="jax"):
        self.name, self.program, self.data = name, program, data or (lambda rng: {})
        self.backend = backend   # the Keras backend that records it: JAX, or torch where JAX breaks the docs
        self.tol = tol or Tolerance()
        self.differs = (differs,) if isinstance(differs, str) else tuple(differs)
        self.skip, self.check, self.seed = tuple(skip), check, seed

    @property
    def group(self):
        return self.name.split("/")[0]

    def __repr__(self):
        return f"Case({self.name!r})"


class Session:
    """What a program sees: the library ``kl``, its data ``d``, ``start`` for initial weights and ``out``."""

    def __init__(self, kl, data, recording, weights=None, files=None):
        self.kl, self.d, self.recording = kl, data, recording
        self.weights = {} if weights is None else weights
        self.out = {}
        self.files = files   # a folder for files the case writes in Keras and reads in layerkit
        self.tmp = tempfile.mkdtemp(prefix="lk_conformance_")

    @property
    def is_keras(self):
        return self.recording

    def start(self, model, key="initial"):
        """Keras: remember ``model``'s freshly initialised weights under ``key`` (or, if ``key`` is taken, give
        ``model`` those); layerkit: load Keras's weights of ``key`` into ``model``."""
        if self.recording and key not in self.weights:
            self.weights[key] = [np.asarray(w) for w in model.get_weights()]
        else:
            model.set_weights(self.weights[key])
        return model

    def file(self, name):
        """A path under the case's file folder (written while recording, read on replay)."""
        return os.path.join(self.files, name)


def evaluate_names(s, model):
    """The names of ``evaluate()``'s list, in its order: Keras's order (``_flatten_metrics_in_order``, fed its own
    keys) when recording; layerkit's ``metrics_names`` on replay (documented: Keras 3 lists metric objects)."""
    if s.recording:
        logs = model.get_metrics_result()
        names = model._flatten_metrics_in_order({k: k for k in logs})
        return [names] if isinstance(names, str) else list(names)
    return list(model.metrics_names)


def train_and_report(s, model, x, y, epochs=2, batch_size=16, sample_weight=None, validation=None, x_eval=None,
                     y_eval=None, predict=True, weights=True, start=True, into=None, **fit_kwargs):
    """The standard program: initial weights (unless the caller set them: ``start=False``), fit (no shuffling),
    evaluate (list and dict), predict, weights; the results go into ``into`` (default ``s.out``)."""
    out = s.out if into is None else into
    if start:
        s.start(model)
    out["count_params"] = int(model.count_params())
    if validation is not None:
        fit_kwargs["validation_data"] = validation
    history = model.fit(x, y, epochs=epochs, batch_size=batch_size, sample_weight=sample_weight, shuffle=False,
                        verbose=0, **fit_kwargs)
    out["history"] = {k: [float(v) for v in values] for k, values in history.history.items()}
    x_eval = x if x_eval is None else x_eval
    y_eval = y if y_eval is None else y_eval
    out["evaluate"] = model.evaluate(x_eval, y_eval, batch_size=batch_size, verbose=0)
    out["evaluate_dict"] = model.evaluate(x_eval, y_eval, batch_size=batch_size, verbose=0, return_dict=True)
    out["evaluate_names"] = evaluate_names(s, model)
    if predict:   # the first samples are enough to see the forward pass (and keep the fixtures small)
        out["predict"] = model.predict(_head(x_eval), batch_size=batch_size, verbose=0)
    if weights:
        out["weights"] = [np.asarray(w) for w in model.get_weights()]
    return history


def attempt(action):
    """True if ``action()`` raises (the exception types differ between libraries; that it raises is compared)."""
    try:
        action()
    except Exception:   # noqa: BLE001 - any error counts; the case documents which it expects
        return True
    return False


def _head(x, n=8):
    if isinstance(x, dict):
        return {k: v[:n] for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [v[:n] for v in x]
    return x[:n]


class CallOrder:
    """Builds a callback class (for library ``kl``) that records every hook call as 'hook[:index][ keys]'."""

    HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_train_batch_begin",
             "on_train_batch_end", "on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end",
             "on_predict_begin", "on_predict_end", "on_predict_batch_begin", "on_predict_batch_end")

    @classmethod
    def make(cls, kl, calls):
        def hook(name):
            def method(self, *args, **kwargs):
                args = args + tuple(kwargs.values())
                index = [a for a in args if isinstance(a, int)]
                logs = [a for a in args if isinstance(a, dict)]
                keys = "" if not logs or "outputs" in logs[0] else " " + ",".join(sorted(logs[0]))
                calls.append(name + (f":{index[0]}" if index else "") + keys)
            return method

        return type("Recorder", (kl.callbacks.Callback,), {name: hook(name) for name in cls.HOOKS})()


def h5_tree(path):
    """Every group and dataset of an HDF5 file: {path: shape (datasets) or attribute dict (groups)}, the
    layout Keras 3's ``.weights.h5`` reader walks."""
    import h5py

    tree = {}

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            tree[name] = list(obj.shape)
        else:
            tree[name] = {k: _text(v) for k, v in obj.attrs.items()}

    with h5py.File(path, "r") as f:
        f.visititems(visit)
    return tree


def h5_legacy_layers(path):
    """What Keras's legacy ``.h5`` reader depends on: the layer names in order, each with its weights' shapes in
    ``weight_names`` order."""
    import h5py

    with h5py.File(path, "r") as f:
        group = f["model_weights"] if "model_weights" in f else f
        layers = []
        for layer in _text(group.attrs["layer_names"]):
            names = _text(group[layer].attrs["weight_names"])
            layers.append([layer, [list(group[layer][n].shape) for n in names]])
    return layers


def _text(value):
    if isinstance(value, bytes):
        return value.decode("utf8")
    if isinstance(value, np.ndarray):
        return [_text(v) for v in value.tolist()]
    return value


# ---------------------------------------------------------------------------------------------- fixtures
class _Pool:
    """Every array of a group packed into one flat buffer per stored dtype (a few entries in the .npz, instead
    of thousands of tiny files with their own headers); the JSON keeps (buffer, offset, shape, dtype)."""

    def __init__(self, buffers=None):
        self.parts = {}
        self.buffers = buffers or {}

    def put(self, array):
        stored = array
        if array.dtype == np.float32:
            with np.errstate(over="ignore"):
                half = array.astype(np.float16)
            if np.array_equal(half.astype(np.float32), array):
                stored = half   # exact in half precision (data on a 1/64 grid): half the bytes
        key = stored.dtype.str.lstrip("<>|=")
        parts = self.parts.setdefault(key, [])
        offset = sum(p.size for p in parts)
        parts.append(stored.ravel())
        return {"__array__": [key, offset, list(array.shape), array.dtype.str.lstrip("<>|=")]}

    def get(self, ref):
        key, offset, shape, dtype = ref
        size = int(np.prod(shape))
        return self.buffers[key][offset:offset + size].reshape(shape).astype(dtype)

    def packed(self):
        return {key: np.concatenate(parts) for key, parts in self.parts.items()}


def encode(value, pool):
    """``value`` as JSON-able data, its arrays put into ``pool``."""
    if isinstance(value, dict):
        return {str(k): encode(v, pool) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(v, pool) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if value is None or isinstance(value, str):
        return value
    array = np.asarray(value)
    if array.ndim == 0 and array.dtype.kind == "f":
        return float(array)
    return pool.put(array)


def decode(value, pool):
    if isinstance(value, dict):
        if set(value) == {"__array__"}:
            return pool.get(value["__array__"])
        return {k: decode(v, pool) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v, pool) for v in value]
    return value


def save_group(group, records, meta):
    """Writes ``fixtures/<group>.json`` (structure, numbers) and ``fixtures/<group>.npz`` (arrays)."""
    pool = _Pool()
    document = {"meta": meta, "cases": {name: encode(record, pool) for name, record in records.items()}}
    os.makedirs(FIXTURES, exist_ok=True)
    with open(os.path.join(FIXTURES, f"{group}.json"), "w") as f:
        json.dump(document, f, separators=(",", ":"))
        f.write("\n")
    np.savez_compressed(os.path.join(FIXTURES, f"{group}.npz"), **pool.packed())


def load_group(group):
    """{case name: record} of ``fixtures/<group>.*`` and the recording's meta."""
    with open(os.path.join(FIXTURES, f"{group}.json")) as f:
        document = json.load(f)
    with np.load(os.path.join(FIXTURES, f"{group}.npz")) as npz:
        pool = _Pool({k: npz[k] for k in npz.files})
    return {name: decode(record, pool) for name, record in document["cases"].items()}, document["meta"]


# ---------------------------------------------------------------------------------------------- adjustments
def _dedupe_evaluate_names(results):
    """Keras 3 lists a metric given in both ``metrics`` and ``weighted_metrics`` twice in ``evaluate()``'s list
    (the unweighted value again, then 'weighted_...'); layerkit lists each name once."""
    found = []

    def walk(value):
        if not isinstance(value, dict):
            return value
        value = {k: walk(v) for k, v in value.items()}
        names = value.get("evaluate_names")
        if isinstance(names, list) and len(set(names)) < len(names):
            keep = [i for i, name in enumerate(names) if name not in names[:i]]
            value["evaluate_names"] = [names[i] for i in keep]
            if isinstance(value.get("evaluate"), list):
                value["evaluate"] = [value["evaluate"][i] for i in keep]
            found.append(names)
        return value

    adjusted = walk(results)
    if not found:
        raise AssertionError("duplicate-evaluate-names: Keras's recorded results list no name twice")
    return adjusted


ADJUSTMENTS = {"duplicate-evaluate-names": _dedupe_evaluate_names}


def expected_results(case, keras_results):
    """Keras's results with the case's documented adjustments applied."""
    for anchor in case.differs:
        if anchor in ADJUSTMENTS:
            keras_results = ADJUSTMENTS[anchor](keras_results)
    return keras_results


# ---------------------------------------------------------------------------------------------- comparison
def compare(expected, actual, tol, skip=()):
    """Problems (a list of strings) where ``actual`` (layerkit) differs from ``expected`` (Keras)."""
    problems = []
    for key in expected:
        if key in skip:
            continue
        if key not in actual:
            problems.append(f"{key}: missing in layerkit's results")
            continue
        problems += compare_value(expected[key], actual[key], (key,), tol)
    extra = sorted(set(actual) - set(expected) - set(skip))
    if extra:
        problems.append(f"results {extra} were not recorded from Keras")
    return problems


def compare_value(expected, actual, path, tol):
    """Problems where ``actual`` differs from ``expected`` at ``path`` (a tuple of keys), within ``tol``."""
    where = "/".join(str(p) for p in path)
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: Keras gives a dict with keys {list(expected)}, layerkit {type(actual).__name__}"]
        if set(expected) != set(actual):
            return [f"{where}: keys differ: Keras {sorted(expected)}, layerkit {sorted(actual)}"]
        return [p for k in expected for p in compare_value(expected[k], actual[k], path + (k,), tol)]
    if isinstance(expected, list):
        if isinstance(actual, np.ndarray) and all(isinstance(e, np.ndarray) for e in expected):
            return [f"{where}: Keras gives a list of {len(expected)} arrays, layerkit one array {actual.shape}"]
        if not isinstance(actual, (list, tuple)):
            return [f"{where}: Keras gives a list of {len(expected)}, layerkit {type(actual).__name__} {actual!r:.80}"]
        if len(expected) != len(actual):
            return [f"{where}: Keras gives {len(expected)} entries, layerkit {len(actual)}"]
        return [p for i, (e, a) in enumerate(zip(expected, actual)) for p in compare_value(e, a, path + (i,), tol)]
    if isinstance(expected, (str, bool)) or expected is None:
        return [] if expected == actual else [f"{where}: Keras {expected!r}, layerkit {actual!r}"]
    if isinstance(expected, int) and not isinstance(expected, bool) and path[0] != "history":
        return [] if expected == actual else [f"{where}: Keras {expected}, layerkit {actual}"]
    e, a = np.asarray(expected, dtype="float64"), np.asarray(actual, dtype="float64") if _numeric(actual) else None
    if a is None:
        return [f"{where}: Keras gives a number/array, layerkit {type(actual).__name__}"]
    if e.shape != a.shape:
        return [f"{where}: shape Keras {e.shape}, layerkit {a.shape}"]
    rtol, atol = tol.for_path(path)
    if np.allclose(a, e, rtol=rtol, atol=atol, equal_nan=True):
        return []
    diff = np.abs(a - e)
    worst = np.unravel_index(np.argmax(diff - rtol * np.abs(e)), e.shape) if e.ndim else ()
    return [f"{where}: Keras {e[worst]:.7g}, layerkit {a[worst]:.7g} (at {worst}; max |diff| {diff.max():.3g}, "
            f"rtol {rtol}, atol {atol})"]


def _numeric(value):
    try:
        array = np.asarray(value)
    except Exception:   # noqa: BLE001 - anything that is not array-like is reported as a type mismatch
        return False
    return array.dtype.kind in "fiub"
