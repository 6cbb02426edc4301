"""Shared pieces: the particle-table contract, array checks, machine records,
files written whole or not at all."""

from ._environment import machine_info
from ._files import atomic_file, replacing_folder, write_atomically
from ._table import (
    as_particle_table,
    describe_rows,
    has_expert_mask,
    is_missing,
    row_label,
)
from ._validation import check_image, check_labels, check_mask

__all__ = [
    "as_particle_table",
    "atomic_file",
    "check_image",
    "check_labels",
    "check_mask",
    "describe_rows",
    "has_expert_mask",
    "is_missing",
    "machine_info",
    "replacing_folder",
    "row_label",
    "write_atomically",
]
