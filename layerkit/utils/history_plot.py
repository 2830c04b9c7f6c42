"""``plot_history``: training curves (loss and every metric, with their validation twins) as a PNG via matplotlib."""
__all__ = ["plot_history"]


def plot_history(history, to_file="history.png", title=None):
    """Draws one panel per quantity of ``history.history`` (``loss``, ``accuracy``...; ``val_*`` on the same panel)
    against the epoch and saves the figure to ``to_file``; returns ``to_file``.

    matplotlib is optional: without it this raises ImportError saying how to install it.

    Example:
        >>> # history = model.fit(x, y, epochs=10, validation_split=0.1); history.plot("curves.png")
    """
    try:
        import matplotlib

        matplotlib.use("Agg")   # files only, never a window
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError("plot_history needs matplotlib: pip install matplotlib") from error
    logs = history.history if hasattr(history, "history") else dict(history)
    names = [name for name in logs if not name.startswith("val_")]
    if not names:
        raise ValueError("plot_history: the history has no recorded epochs (train with fit first)")
    epochs = list(getattr(history, "epoch", range(len(logs[names[0]]))))
    epochs = [e + 1 for e in epochs]
    figure, axes = plt.subplots(1, len(names), figsize=(4.5 * len(names), 3.5), squeeze=False)
    for axis, name in zip(axes[0], names):
        axis.plot(epochs, logs[name], marker="o", markersize=3, label="training")
        if f"val_{name}" in logs:
            axis.plot(epochs, logs[f"val_{name}"], marker="o", markersize=3, label="validation")
        axis.set_xlabel("epoch")
        axis.set_title(name)
        axis.grid(alpha=0.3)
        axis.legend()
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(to_file, dpi=100)
    plt.close(figure)
    return to_file
