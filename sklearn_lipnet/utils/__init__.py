"""Shared pieces: the particle-table contract, array checks, machine records."""

from ._environment import machine_info
from ._table import as_particle_table, describe_rows, is_missing, row_label
from ._validation import check_image, check_mask

__all__ = [
    "as_particle_table",
    "check_image",
    "check_mask",
    "describe_rows",
    "is_missing",
    "machine_info",
    "row_label",
]
