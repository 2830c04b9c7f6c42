"""Untrusted model files: nothing a file names is imported or called unless the user passed it or opted in.

Every row is a hostile file written as an attacker would (real payloads made harmless: a shell command that would
create a marker file, ``sys.exit``, ``input``). It is loaded through every entry point (``load_model`` on an
``.h5`` file, ``model_from_json``, ``model_from_config``) and must raise a clear ``ValueError`` without having
imported a module the file names or run anything.
"""
import json
import sys

import h5py
import numpy as np
import pytest

import layerkit
from layerkit import safe_mode, saving
from layerkit.layers.core import Dense, Lambda
from layerkit.models import Sequential

CANARY = "tests.layerkit.canary_never_imported"   # a module that exists only in this name: importing it fails


def _sequential(*layers):
    entries = [{"class_name": "InputLayer", "config": {"batch_input_shape": [None, 3], "name": "inp"}}]
    return {"class_name": "Sequential", "config": {"name": "hostile", "layers": entries + list(layers)}}


def _lambda(marker, **config):
    return {"class_name": "Lambda", "config": dict({"name": "lam"}, **config)}


def _shell(marker):
    return f"touch {marker}"


# name -> the hostile layer entry, built from the marker path a successful attack would create
HOSTILE_LAMBDAS = [
    ("os.system as function", lambda m: _lambda(m, function="os:system", arguments={"command": _shell(m)})),
    ("pydoc.pipepager as function", lambda m: _lambda(m, function="pydoc:pipepager",
                                                      arguments={"text": "x", "cmd": _shell(m)})),
    ("sys.exit as function", lambda m: _lambda(m, function="sys:exit")),
    ("builtins.input as function", lambda m: _lambda(m, function="builtins:input")),
    ("subprocess.getoutput via Keras 3 dict", lambda m: _lambda(
        m, function={"module": "subprocess", "class_name": "function", "config": "getoutput",
                     "registered_name": "function"}, arguments={})),
    ("os.system as mask", lambda m: _lambda(m, function="_identity",
                                            mask="os:system")),
    ("os.system as output_shape", lambda m: _lambda(m, function="_identity",
                                                    output_shape="os:system", output_shape_type="function")),
    ("unimported module as function", lambda m: _lambda(m, function=f"{CANARY}:boom")),
    ("keras 2 bytecode", lambda m: _lambda(m, function=["4wEAAAAAAAAAAAAAAAEAAAACAAAAQwAAAHMI", None, None],
                                           function_type="lambda")),
    ("keras 3 bytecode", lambda m: _lambda(m, function={"class_name": "__lambda__", "config": {"code": "4wEA"}})),
    ("bytecode as output_shape", lambda m: _lambda(m, function="_identity",
                                                   output_shape=["4wEAAAAA", None, None],
                                                   output_shape_type="lambda")),
]


def _identity(x):
    return x


def _write_h5(path, config, training_config=None):
    with h5py.File(path, "w") as f:
        f.attrs["model_config"] = json.dumps(config).encode("utf8")
        if training_config is not None:
            f.attrs["training_config"] = json.dumps(training_config).encode("utf8")
        group = f.create_group("model_weights")
        group.attrs["layer_names"] = np.zeros((0,), dtype="S1")


def _write_keras(path, config):
    """A .keras archive holding ``config`` (and an empty weights file)."""
    import io
    import zipfile

    weights = io.BytesIO()
    with h5py.File(weights, "w") as f:
        f.create_group("vars")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.15.1"}))
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("model.weights.h5", weights.getvalue())


def _loaders(tmp_path):
    def from_h5(config, **kwargs):
        path = tmp_path / "hostile.h5"
        _write_h5(path, config)
        return saving.load_model(path, **kwargs)

    def from_keras(config, **kwargs):
        path = tmp_path / "hostile.keras"
        _write_keras(path, config)
        return saving.load_model(path, **kwargs)

    return {"load_model(.h5)": from_h5, "load_model(.keras)": from_keras,
            "model_from_json": lambda config, **kw: saving.model_from_json(json.dumps(config), **kw),
            "model_from_config": lambda config, **kw: saving.model_from_config(config, **kw)}


LOADERS = ["load_model(.h5)", "load_model(.keras)", "model_from_json", "model_from_config"]


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("case, entry", HOSTILE_LAMBDAS, ids=[row[0] for row in HOSTILE_LAMBDAS])
def test_a_hostile_lambda_is_refused_before_anything_runs(tmp_path, loader, case, entry):
    marker = tmp_path / "pwned"
    modules_before = set(sys.modules)
    with pytest.raises(ValueError, match="Lambda|lambda") as caught:
        # the harmless function is the user's; the refusal must come from the hostile part
        _loaders(tmp_path)[loader](_sequential(entry(marker)), custom_objects={"_identity": _identity})
    assert not marker.exists()
    assert CANARY not in sys.modules and "pydoc" not in set(sys.modules) - modules_before
    message = str(caught.value)
    if "bytecode" in case:
        assert "never executes code" in message
    else:
        assert "custom_objects" in message and ("safe_mode=False" in message or "never executes code" in message)


# name -> a hostile entry naming a function or class where a component (not a Lambda) is resolved
HOSTILE_COMPONENTS = [
    ("activation", {"class_name": "Dense", "config": {"name": "d", "units": 2, "activation": "os:system"}}),
    ("activation dict", {"class_name": "Dense", "config": {"name": "d", "units": 2, "activation": {
        "module": "os", "class_name": "system", "config": {"command": "true"}}}}),
    ("initializer", {"class_name": "Dense", "config": {"name": "d", "units": 2, "kernel_initializer": {
        "module": "os", "class_name": "system", "config": {"command": "true"}}}}),
    ("regularizer", {"class_name": "Dense", "config": {"name": "d", "units": 2, "kernel_regularizer": {
        "module": "os", "class_name": "system", "config": {"command": "true"}}}}),
    ("constraint", {"class_name": "Dense", "config": {"name": "d", "units": 2, "kernel_constraint": {
        "module": "os", "class_name": "system", "config": {"command": "true"}}}}),
    ("layer class", {"module": "os", "class_name": "system", "config": {"command": "true"}}),
    ("layer class as module:name", {"class_name": "os:system", "config": {"command": "true"}}),
    ("layer class via registered_name", {"class_name": "Dense", "registered_name": f"{CANARY}>Boom",
                                         "module": CANARY, "config": {"name": "d", "units": 2,
                                                                       "activation": f"{CANARY}:boom"}}),
]


@pytest.mark.parametrize("case, entry", HOSTILE_COMPONENTS, ids=[row[0] for row in HOSTILE_COMPONENTS])
def test_components_named_by_a_file_resolve_only_from_known_names(tmp_path, case, entry):
    for loader in LOADERS:
        with safe_mode.safe_mode_scope(False):   # even where the user allowed importing Lambda functions
            with pytest.raises(ValueError, match="unknown|Unknown"):
                _loaders(tmp_path)[loader](_sequential(entry))
    assert CANARY not in sys.modules


# training_config key -> a hostile value
HOSTILE_TRAINING = [
    ("loss", {"optimizer_config": {"class_name": "SGD", "config": {}}, "loss": "os:system"}),
    ("loss dict", {"optimizer_config": {"class_name": "SGD", "config": {}},
                   "loss": {"module": "os", "class_name": "system", "config": {"command": "true"}}}),
    ("metric", {"optimizer_config": {"class_name": "SGD", "config": {}}, "loss": "mse", "metrics": ["os:system"]}),
    ("optimizer", {"optimizer_config": {"module": "os", "class_name": "system", "config": {"command": "true"}},
                   "loss": "mse"}),
]


@pytest.mark.parametrize("case, training", HOSTILE_TRAINING, ids=[row[0] for row in HOSTILE_TRAINING])
def test_compile_arguments_in_a_file_resolve_only_from_known_names(tmp_path, case, training):
    path = tmp_path / "hostile.h5"
    activation = {"class_name": "Activation", "config": {"name": "a", "activation": "relu"}}
    _write_h5(path, _sequential(activation), training)
    with pytest.raises(ValueError, match="unknown|Unknown"):
        saving.load_model(path)


# ----------------------------------------------------------------------------------------------- opting in
def _saved_lambda_model():
    return Sequential([Dense(2, input_shape=(3,)), Lambda(_identity)])


def test_a_lambda_function_given_in_custom_objects_loads_in_safe_mode(tmp_path):
    model = _saved_lambda_model()
    model.save(tmp_path / "l.h5")
    loaded = saving.load_model(tmp_path / "l.h5", custom_objects={"_identity": _identity})
    x = np.ones((2, 3), "float32")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize("how", ["safe_mode=False", "enable_unsafe_deserialization"])
def test_opting_out_of_safe_mode_imports_a_named_function_but_never_bytecode(tmp_path, monkeypatch, how):
    monkeypatch.setitem(safe_mode._GLOBAL, "safe", True)
    model = _saved_lambda_model()
    model.save(tmp_path / "l.h5")
    with pytest.raises(ValueError, match="safe_mode=False"):
        saving.load_model(tmp_path / "l.h5")
    kwargs = {"safe_mode": False} if how == "safe_mode=False" else {}
    if how == "enable_unsafe_deserialization":
        layerkit.config.enable_unsafe_deserialization()
    loaded = saving.load_model(tmp_path / "l.h5", **kwargs)
    assert loaded.layers[-1].function is _identity
    bytecode = _lambda(None, function={"class_name": "__lambda__", "config": {"code": "4wEA"}})
    with pytest.raises(ValueError, match="never executes code"):
        saving.model_from_config(_sequential(bytecode), **kwargs)
    with pytest.raises(ValueError, match="safe mode forbids"):   # an explicit True wins over the global switch
        saving.load_model(tmp_path / "l.h5", safe_mode=True)


def test_safe_mode_scope_restores_the_enclosing_setting():
    assert safe_mode.in_safe_mode()
    with safe_mode.safe_mode_scope(False):
        with safe_mode.safe_mode_scope(None):
            assert not safe_mode.in_safe_mode()
        with safe_mode.safe_mode_scope(True):
            assert safe_mode.in_safe_mode()
        assert not safe_mode.in_safe_mode()
    assert safe_mode.in_safe_mode()


# ----------------------------------------------------------------------------------------------- damaged weights
def _two_layer_model():
    model = Sequential([Dense(3, input_shape=(3,), name="first"), Dense(2, name="second")])
    model.compile(optimizer="adam", loss="mse")
    model.train_on_batch(np.ones((4, 3), "float32"), np.ones((4, 2), "float32"))
    return model


def _damage(path, layer, weight, how):
    """Rewrites one weight dataset of a saved model: a huge declared shape, strings, or nothing."""
    with h5py.File(path, "a") as f:
        group = f["model_weights"][layer]
        del group[weight]
        if how == "huge":      # 6 GB declared, a few bytes on disk: HDF5 allocates storage lazily
            group.create_dataset(weight, shape=(1_500_000_000,), dtype="float32")
        elif how == "strings":
            group.create_dataset(weight, data=np.array([b"a", b"b"]))


DAMAGE_ROWS = [("huge", "has shape"), ("strings", "expected numbers"), ("missing", "no dataset")]


@pytest.mark.parametrize("how, message", DAMAGE_ROWS, ids=[row[0] for row in DAMAGE_ROWS])
def test_a_damaged_second_layer_is_refused_before_any_weight_changes(tmp_path, how, message):
    source = _two_layer_model()
    source.save(tmp_path / "m.h5")
    _damage(tmp_path / "m.h5", "second", "second/bias:0", how)
    target = _two_layer_model()
    before = [w.copy() for w in target.get_weights()]
    with pytest.raises(ValueError, match=f"second.*{message}"):
        target.load_weights(tmp_path / "m.h5")
    for old, new in zip(before, target.get_weights()):
        np.testing.assert_array_equal(old, new)
    with pytest.raises(ValueError, match=message):
        saving.load_model(tmp_path / "m.h5")


def test_huge_declared_optimizer_state_is_not_read(tmp_path):
    _two_layer_model().save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "a") as f:
        group = f["optimizer_weights"]
        name = [n.decode() for n in group.attrs["weight_names"]][1]
        del group[name]
        group.create_dataset(name, shape=(1_500_000_000,), dtype="float32")
    with pytest.warns(UserWarning, match="optimizer starts fresh"):
        loaded = saving.load_model(tmp_path / "m.h5")
    assert int(loaded.optimizer.iterations.get_value()) == 0


def test_optimizer_set_weights_checks_every_array_before_setting_any():
    model = _two_layer_model()
    before = [np.array(v) for v in model.optimizer.get_weights()]
    bad = list(before)
    bad[-1] = np.zeros((7,), "float32")
    with pytest.raises(ValueError, match="expected shape"):
        model.optimizer.set_weights([b + 1 for b in bad[:-1]] + [bad[-1]])
    for old, new in zip(before, model.optimizer.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_a_config_declaring_an_absurd_weight_is_refused_before_allocating(tmp_path):
    config = _sequential({"class_name": "Dense", "config": {"name": "huge", "units": 1_500_000_000_000}})
    with pytest.raises(ValueError, match="huge: weight 'kernel' of shape \\(3, 1500000000000\\).*GiB of memory"):
        saving.model_from_config(config)
