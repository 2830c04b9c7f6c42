"""``plot_model``: a picture of a model's layer graph, drawn by Graphviz's ``dot`` program."""
import os
import shutil
import subprocess
import tempfile

__all__ = ["model_to_dot", "plot_model"]


def _label(text):
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _shape_text(layer, attribute):
    try:
        return str(getattr(layer, attribute))
    except (AttributeError, ValueError):
        return "?"


def model_to_dot(model, show_shapes=False, show_layer_names=True, rankdir="TB"):
    """The model's graph in Graphviz's DOT language (a string): one box per layer, one arrow per connection.

    Example:
        >>> # model_to_dot(model).splitlines()[0]  ->  'digraph model {'
    """
    layers = list(getattr(model, "_layers", model.layers))
    ids = {id(layer): f"n{k}" for k, layer in enumerate(layers)}
    lines = ["digraph model {", f'  rankdir="{rankdir}";', "  node [shape=record];"]
    for layer in layers:
        name = f"{layer.name}: {type(layer).__name__}" if show_layer_names else type(layer).__name__
        if show_shapes:
            text = (f"{{{_label(name)}|{{input:|output:}}|{{{_label(_shape_text(layer, 'input_shape'))}|"
                    f"{_label(_shape_text(layer, 'output_shape'))}}}}}")
        else:
            text = _label(name)
        lines.append(f'  {ids[id(layer)]} [label="{text}"];')
    for layer in layers:
        for node in layer._inbound_nodes:
            for tensor in node.input_tensors:
                history = getattr(tensor, "_keras_history", None)
                if history is not None and id(history[0]) in ids:
                    lines.append(f"  {ids[id(history[0])]} -> {ids[id(layer)]};")
    lines.append("}")
    return "\n".join(dict.fromkeys(lines))  # a layer called twice on one tensor draws one arrow


def plot_model(model, to_file="model.png", show_shapes=False, show_layer_names=True, rankdir="TB"):
    """Draws the model's layer graph to ``to_file`` (format from the extension: .png, .svg, .pdf, .dot).

    Needs Graphviz's ``dot`` program on ``PATH`` (except for ``.dot`` files, written directly).

    Example:
        >>> # plot_model(model, "model.png", show_shapes=True)
    """
    source = model_to_dot(model, show_shapes=show_shapes, show_layer_names=show_layer_names, rankdir=rankdir)
    extension = os.path.splitext(to_file)[1].lstrip(".").lower() or "png"
    if extension == "dot":
        with open(to_file, "w") as handle:
            handle.write(source)
        return None
    dot = shutil.which("dot")
    if dot is None:
        raise ImportError("plot_model: Graphviz's `dot` program was not found on PATH; install Graphviz "
                          "(e.g. `apt-get install graphviz` or `brew install graphviz`), or save a .dot file "
                          "with plot_model(model, 'model.dot')")
    with tempfile.NamedTemporaryFile("w", suffix=".dot", delete=False) as handle:
        handle.write(source)
    try:
        result = subprocess.run([dot, f"-T{extension}", handle.name, "-o", to_file], capture_output=True,
                                text=True)
    finally:
        os.remove(handle.name)
    if result.returncode != 0:
        raise RuntimeError(f"plot_model: `dot -T{extension}` failed for {to_file!r}: {result.stderr.strip()}")
    return None
