"""All conformance cases, by group (the module's name is the group and the fixture's file name)."""
from . import (api, attention, callbacks, conv, custom, functional, layers, layers_k3, losses, losses_k3, metrics,
               metrics_k3, normalization, optimizers, optimizers_k3, quality, recurrent, saving,
               text_k3)

GROUPS = [losses, metrics, optimizers, recurrent, conv, normalization, attention, functional, custom, callbacks, api,
          saving, layers, quality, layers_k3, metrics_k3, losses_k3, optimizers_k3,
          text_k3]
CASES = [case for module in GROUPS for case in module.CASES]

__all__ = ["CASES", "GROUPS"]
