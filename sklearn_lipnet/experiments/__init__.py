"""The thesis's comparison protocol and the report that ``lipnet benchmark`` writes.

:func:`compare_models` cross-validates several models on the same stratified
folds; :func:`write_report` turns the results into a report folder (Markdown,
PNG plots, CSV and JSON) next to the thesis's published confusion matrices
(:func:`thesis_confusion`).
"""

from ._compare import ModelResult, class_order, compare_models, training_history
from ._report import check_report_folder, format_results, write_report
from ._thesis_results import TABLE_NUMBERS, thesis_confusion

__all__ = [
    "TABLE_NUMBERS",
    "ModelResult",
    "check_report_folder",
    "class_order",
    "compare_models",
    "format_results",
    "thesis_confusion",
    "training_history",
    "write_report",
]
