"""Host-side checks of values that index: sparse class labels and ``Embedding`` inputs.

An out-of-range index does not fail inside the compiled graph: NumPy reads row -1 as the last row, and a label
past the last class picks some other class's score. These checks run on the arrays ``fit``/``evaluate``/
``predict`` are given (one min/max pass) and raise a ValueError naming the output or layer instead.
``layerkit.config.set_range_checks(False)`` turns them off.

Example:
    >>> import numpy as np
    >>> check_index_range(np.array([0, 2]), 3, "target 'out'", "classes")
"""
import numpy as np

from .. import config

__all__ = ["check_sparse_labels", "check_embedding_inputs", "check_index_range"]


def check_index_range(values, size, where, what, allowed=None):
    """Raises unless every entry of ``values`` is in ``[0, size)`` (or equals ``allowed``)."""
    if values.size == 0 or values.dtype.kind not in "iufb":
        return
    checked = values if allowed is None else values[values != allowed]
    if checked.size == 0:
        return
    low, high = checked.min(), checked.max()
    if low < 0 or high >= size:
        bad = (low if low < 0 else high).item()
        raise ValueError(f"{where}: found the value {bad!r}, expected {what} in [0, {size})"
                         f"{'' if allowed is None else f' or {allowed} (ignore_class)'}; turn this check off "
                         f"with layerkit.config.set_range_checks(False) only if the data is known to be valid")


def check_sparse_labels(specs_and_outputs, targets):
    """Labels of sparse losses lie in ``[0, classes)``; ``specs_and_outputs`` are (OutputSpec, output) pairs."""
    if not config.range_checks_enabled():
        return
    for (spec, output), labels in zip(specs_and_outputs, targets):
        classes = output.type.shape[-1] if output.ndim else None
        if "sparse" in (spec.loss_name or "") and classes is not None:
            check_index_range(labels, classes, f"Output '{spec.name}': sparse labels", "class labels",
                              spec.ignore_class)


def check_embedding_inputs(model, arrays):
    """Model inputs read directly by an ``Embedding`` hold indices in ``[0, input_dim)``."""
    if not config.range_checks_enabled():
        return
    from ..layers.embedding import Embedding

    position = {id(tensor): k for k, tensor in enumerate(model.inputs or [])}
    for layer in model.layers:
        if not isinstance(layer, Embedding):
            continue
        for node in layer._inbound_nodes:
            for tensor in node.input_tensors:
                k = position.get(id(tensor))
                if k is not None:
                    check_index_range(arrays[k], layer.input_dim, f"Embedding '{layer.name}' (model input "
                                      f"'{model.input_names[k]}')", "indices")
