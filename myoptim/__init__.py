"""myoptim: the optimizers of the chapter, built on one small base class.

Each optimizer matches its ``torch.optim`` counterpart (with ``foreach=False``) bit
for bit; the docstrings say where the code departs from the textbook formula. The
compiled fast path (``MyCompiledAdam``, ``Flattened(..., compile=True)``) agrees to
rounding. ``Sharded`` splits the state across torch.distributed ranks. ``CHAPTER`` lists
the chapter's optimizers in order, with what the book and the tests need of each.
"""

from myoptim.adagrad import MyAdaGrad
from myoptim.adam import MyAdam
from myoptim.base import MyOptimizer
from myoptim.bridge import TorchOptimizer
from myoptim.chapter import CHAPTER, Rule
from myoptim.compiled_adam import MyCompiledAdam
from myoptim.compiler import compiler_missing
from myoptim.devices import pick_device
from myoptim.flat import Flattened
from myoptim.momentum import MySGDMomentum
from myoptim.rmsprop import MyRMSProp
from myoptim.sgd import MySGD
from myoptim.sharded import Sharded

__all__ = [
    "CHAPTER",
    "Flattened",
    "MyAdaGrad",
    "MyAdam",
    "MyCompiledAdam",
    "MyOptimizer",
    "MyRMSProp",
    "MySGD",
    "MySGDMomentum",
    "Rule",
    "Sharded",
    "TorchOptimizer",
    "compiler_missing",
    "pick_device",
]
__version__ = "0.1.0"
