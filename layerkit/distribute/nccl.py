"""GPU gradient reduction with NCCL through CuPy; MPI only carries the NCCL id from rank 0 to the others.

UNTESTED: written for ``device=cuda`` but never run here (the development machine has neither CuPy nor GPUs, and
CI runs the MPI path only). Each process uses the GPU of its local rank (``MPIStrategy.local_rank``); select it
before building the model, e.g. ``cupy.cuda.Device(strategy.local_rank).use()``.
"""
__all__ = ["NCCLAllreduce"]


class NCCLAllreduce:   # pragma: no cover - needs CuPy and GPUs
    """In-place sum of a contiguous CuPy float32/float64 buffer over the processes of ``comm``."""

    def __init__(self, comm, rank, size):
        from cupy.cuda import nccl

        self.nccl = nccl
        unique_id = comm.bcast(nccl.get_unique_id() if rank == 0 else None, root=0)
        self.communicator = nccl.NcclCommunicator(size, unique_id, rank)

    def __call__(self, buffer):
        import cupy

        kinds = {"float32": self.nccl.NCCL_FLOAT32, "float64": self.nccl.NCCL_FLOAT64}
        if buffer.dtype.name not in kinds:
            raise TypeError(f"NCCLAllreduce: expected a float32 or float64 buffer, received {buffer.dtype}")
        stream = cupy.cuda.get_current_stream()
        self.communicator.allReduce(buffer.data.ptr, buffer.data.ptr, buffer.size, kinds[buffer.dtype.name],
                                    self.nccl.NCCL_SUM, stream.ptr)
        stream.synchronize()
