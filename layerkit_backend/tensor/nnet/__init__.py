"""Neural-network operations with Theano's names: ``import layerkit_backend.tensor.nnet as nnet``.

Activations (activations.py), softmax and logsumexp (softmax.py) and losses (losses.py). The stabilize phase
(rewrite/nnet_stabilize.py) turns ``log(softmax(x))``, ``log(sum(exp(x)))`` and cross-entropy after softmax into
their stable forms.
"""
from . import activations as _activations_module
from . import losses as _losses_module
from . import softmax as _softmax_module
from .activations import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .softmax import *  # noqa: F401,F403
from . import bn as _bn_module
from . import conv as _conv_module
from . import hsoftmax as _hsoftmax_module
from .bn import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .hsoftmax import *  # noqa: F401,F403
from . import conv3d as _conv3d_module, ctc, neighbours  # noqa: F401  (nnet.ctc, nnet.neighbours as in Theano)
from .conv3d import conv3d  # noqa: F401
from .neighbours import images2neibs, neibs2images  # noqa: F401

# Theano's and Keras's spellings of the same functions (public aliases only).
from ..math import ultra_fast_sigmoid  # noqa: E402  (Theano's piecewise approximation, a table row)
silu = swish  # noqa: F405
logsoftmax = log_softmax  # noqa: F405

_MODULES = [_activations_module, _losses_module, _softmax_module, _bn_module, _conv_module, _hsoftmax_module,
            _conv3d_module]
__all__ = sorted({name for m in _MODULES for name in m.__all__} | {"ultra_fast_sigmoid", "silu", "logsoftmax",
                                                                  "images2neibs", "neibs2images", "ctc",
                                                                  "neighbours"})
