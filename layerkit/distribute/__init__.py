"""Data-parallel training over several processes: ``model.compile(..., strategy=MPIStrategy())``.

See docs/distributed.md for launching with MPICH, Open MPI and Slurm.

Example:
    >>> from layerkit.distribute import MPIStrategy
    >>> MPIStrategy().size
    1
"""
from .mpi import MPIStrategy

__all__ = ["MPIStrategy"]
