"""``MPIStrategy``: data-parallel training over MPI processes (mpi4py), one model replica per process.

Launch the same script on N processes (``mpiexec -n 4 python -m mpi4py train.py``); without ``mpiexec`` it is a
one-process run of the same code (and without mpi4py installed too). ``batch_size`` is the GLOBAL batch: every
process draws the same shuffled order (numpy's global random state is broadcast from process 0 when ``fit``
starts) and trains on its contiguous part of each batch. The gradients are averaged with one in-place allreduce of
a preallocated flat buffer per step, so N processes compute the same weights as one, up to summation order.

Example:
    >>> import numpy as np
    >>> from layerkit.distribute import MPIStrategy
    >>> from layerkit.models import Sequential
    >>> from layerkit.layers import Dense
    >>> strategy = MPIStrategy()
    >>> strategy.rank, strategy.size
    (0, 1)
    >>> model = Sequential([Dense(1, input_shape=(3,))])
    >>> model.compile("sgd", "mse", strategy=strategy)
    >>> history = model.fit(np.ones((8, 3)), np.zeros((8, 1)), batch_size=4, verbose=0)
    >>> len(history.history["loss"])
    1
"""
import atexit
import os
import sys
import time

import numpy as np

import layerkit_backend as lb

from ..callbacks import BackupAndRestore, Callback, CSVLogger, ModelCheckpoint, ProgbarLogger

__all__ = ["MPIStrategy"]


class _SelfComm:
    """The communicator calls MPIStrategy makes, for a single process when mpi4py is not installed."""

    def Get_rank(self):
        return 0

    def Get_size(self):
        return 1

    def Allreduce(self, send, receive, op=None):
        pass   # in place over one process: the sum is the buffer itself

    def Bcast(self, buffer, root=0):
        pass

    def bcast(self, obj, root=0):
        return obj

    def allgather(self, obj):
        return [obj]

    def allreduce(self, obj, op=None):
        return obj

    def Abort(self, code=1):
        os._exit(code)


def _mpi():
    try:
        from mpi4py import MPI
    except ImportError:
        return None
    return MPI


_ABORT_INSTALLED = []


def _abort_on_abnormal_exit(comm):
    """Any process leaving abnormally aborts the whole job, so the others never wait in a collective.

    An uncaught exception goes through ``sys.excepthook``; ``sys.exit(code)`` with a non-zero code is noted and
    turned into ``comm.Abort(code)`` at exit, instead of MPI_Finalize, which would wait for the other processes
    while they wait in a collective for this one (under plain ``mpiexec python script.py`` the job then hangs).
    ``os._exit`` and signals end the process at once, and mpiexec ends the job.
    """
    if _ABORT_INSTALLED:
        return
    previous_hook, previous_exit = sys.excepthook, sys.exit
    exit_code = []

    def abort(code, why):
        sys.stderr.write(f"layerkit.distribute: rank {comm.Get_rank()} {why}; aborting the job\n")
        sys.stderr.flush()
        sys.stdout.flush()
        time.sleep(0.3)   # let mpiexec forward this process's last output before Abort kills the job
        comm.Abort(code)

    def hook(kind, value, traceback):
        previous_hook(kind, value, traceback)
        abort(1, f"failed ({kind.__name__}: {value})")

    def noting_exit(code=None):
        exit_code[:] = [code]
        previous_exit(code)

    def at_exit():
        if exit_code and exit_code[0] not in (None, 0):
            code = exit_code[0]
            abort(code if isinstance(code, int) else 1, f"called sys.exit({code!r})")

    sys.excepthook, sys.exit = hook, noting_exit
    atexit.register(at_exit)   # runs before mpi4py's MPI_Finalize
    _ABORT_INSTALLED.append(hook)


class MPIStrategy:
    """Data-parallel training over the processes of an MPI communicator.

    Args:
        comm: an mpi4py communicator (default ``MPI.COMM_WORLD``; a one-process stand-in without mpi4py).
        abort_on_error: with several processes, make an uncaught exception (``comm.Abort(1)``, as
            ``python -m mpi4py`` does) or ``sys.exit`` with a non-zero code (``comm.Abort(code)``) end the whole
            job instead of leaving the other processes hanging in the next collective.

    Attributes:
        rank, size: this process's rank and the number of processes. local_rank: the rank among the processes of
        this node (the GPU a process should use). allreduce_seconds, allreduce_calls: time spent in gradient
        allreduces (for benchmarks).
    """

    def __init__(self, comm=None, abort_on_error=True):
        self.MPI = _mpi()
        if comm is None:
            comm = self.MPI.COMM_WORLD if self.MPI is not None else _SelfComm()
        self.comm = comm
        self.rank, self.size = comm.Get_rank(), comm.Get_size()
        self.local_rank = self.rank
        if self.MPI is not None and self.size > 1:
            node = comm.Split_type(self.MPI.COMM_TYPE_SHARED, key=self.rank)
            self.local_rank = node.Get_rank()
            node.Free()
        if abort_on_error and self.size > 1:
            _abort_on_abnormal_exit(comm)
        self.allreduce_seconds, self.allreduce_calls = 0.0, 0
        self._nccl = None

    def __repr__(self):
        return f"MPIStrategy(rank={self.rank}, size={self.size}, local_rank={self.local_rank})"

    @property
    def is_root(self):
        """True on the process that prints and writes files (rank 0)."""
        return self.rank == 0

    @property
    def shard(self):
        """``(rank, size)``: which part of every global batch this process trains on."""
        return self.rank, self.size

    # -- the engine's hooks -------------------------------------------------------------------------------------
    def train_function(self, functions, graph):
        """The data-parallel replacement of the compiled train function (see ``layerkit.distribute.step``)."""
        from .step import DataParallelStep

        return DataParallelStep(functions, graph, self)

    def allocate(self, size):
        """The preallocated flat buffer the gradients are reduced in (on the GPU when the device is CUDA)."""
        if lb.config.device == "cuda":   # pragma: no cover - needs CuPy and GPUs
            import cupy
            return cupy.zeros(size, dtype=lb.config.floatX)
        return np.zeros(size, dtype=lb.config.floatX)

    def allreduce(self, buffer):
        """Sums ``buffer`` over the processes, in place (NCCL for a GPU buffer, MPI otherwise)."""
        start = time.perf_counter()
        if isinstance(buffer, np.ndarray):
            if self.size > 1:
                self.comm.Allreduce(self.MPI.IN_PLACE, buffer, op=self.MPI.SUM)
        else:   # pragma: no cover - needs CuPy and GPUs
            if self._nccl is None:
                from .nccl import NCCLAllreduce
                self._nccl = NCCLAllreduce(self.comm, self.rank, self.size)
            self._nccl(buffer)
        self.allreduce_seconds += time.perf_counter() - start
        self.allreduce_calls += 1

    def synchronize(self, model):
        """Broadcasts from rank 0: weights, optimizer state, the initial epoch and numpy's random state."""
        if model.optimizer is not None and model.inputs is not None:
            model._resolve_compile()
            model.optimizer._build(model._compiled_trainable)   # slots exist everywhere before the broadcast
        variables, seen = [], set()
        for variable in list(model.weights) + (model.optimizer.variables() if model.optimizer else []):
            if id(variable) not in seen:
                seen.add(id(variable))
                variables.append(variable)
        for variable in variables:
            value = np.array(variable.get_value(), order="C")
            flat = value.reshape(-1)
            self.comm.Bcast(flat, root=0)
            variable.set_value(flat.reshape(value.shape))
        model._initial_epoch = self.comm.bcast(model._initial_epoch, root=0)
        np.random.set_state(self.comm.bcast(np.random.get_state(), root=0))

    def any(self, flag):
        """True on every process when ``flag`` is true on any (so that all processes stop together)."""
        return bool(self.comm.allreduce(bool(flag), op=None if self.MPI is None else self.MPI.LOR))

    def reduce_results(self, functions, kind):
        """Sums ``kind``'s metric accumulators over the processes and returns the logs (the same everywhere)."""
        variables = []
        for source in functions.result_sources(kind):
            variables += [source.total, source.count] if hasattr(source, "total") else list(source.variables)
        values = [np.asarray(v.get_value(), dtype=np.float64) for v in variables]
        flat = np.concatenate([v.reshape(-1) for v in values]) if values else np.zeros(0)
        if self.size > 1 and flat.size:
            self.comm.Allreduce(self.MPI.IN_PLACE, flat, op=self.MPI.SUM)
        offset = 0
        for variable, value in zip(variables, values):
            variable.set_value(flat[offset:offset + value.size].reshape(value.shape).astype(variable.dtype))
            offset += value.size
        results = functions.result_function(kind)()
        return {name: float(value) for name, value in zip(functions.names(kind), results)}

    def gather_batches(self, per_batch):
        """Every process's per-batch outputs, interleaved back into batch order (each batch: rank 0's part,
        rank 1's part, ...)."""
        gathered = self.comm.allgather(per_batch)
        return [parts[k] for k in range(len(per_batch)) for parts in gathered]

    def callbacks_for_rank(self, callbacks):
        """Rank 0 keeps every callback; the others drop those that only print or write files, and their
        ``model.save``/``save_weights`` do nothing while ``fit`` runs."""
        if self.is_root:
            return callbacks
        writers = (ProgbarLogger, ModelCheckpoint, CSVLogger, BackupAndRestore)
        kept = [c for c in callbacks if not isinstance(c, writers)]
        return [_SilentSaves(True)] + kept + [_SilentSaves(False)]


def _skip_save(*args, **kwargs):
    """``model.save`` on a process other than rank 0 during ``fit``: rank 0 writes the file."""


class _SilentSaves(Callback):
    """Makes ``model.save``/``save_weights`` no-ops from ``on_train_begin`` (``start``) until ``on_train_end``."""

    def __init__(self, start):
        super().__init__()
        self.start = start

    def on_train_begin(self, logs=None):
        if self.start:
            vars(self.model)["save"] = vars(self.model)["save_weights"] = _skip_save

    def on_train_end(self, logs=None):
        if not self.start:
            vars(self.model).pop("save", None)
            vars(self.model).pop("save_weights", None)
