"""All conformance cases, by group (the module's name is the group and the fixture's file name)."""
from . import (api, attention, callbacks, conv, custom, eager, functional, keras_format, layers, layers_k3, losses,
               losses_k3, metrics, metrics_k3, normalization, ops, optimizers, optimizers_k3, quality, recurrent,
               saving, text_k3, train_step)

GROUPS = [losses, metrics, optimizers, recurrent, conv, normalization, attention, functional, custom, callbacks, api,
          saving, layers, quality, layers_k3, metrics_k3, losses_k3, optimizers_k3,
          text_k3, ops, eager, keras_format, train_step]
CASES = [case for module in GROUPS for case in module.CASES]

__all__ = ["CASES", "GROUPS"]
