"""The thesis's comparison protocol and the report that ``lipnet benchmark`` writes.

:func:`compare_models` cross-validates several models on the same stratified
folds; :func:`write_report` turns the results into a report folder (Markdown,
PNG plots, CSV and JSON) next to the thesis's published confusion matrices
(:func:`thesis_confusion`). :data:`BENCHMARK_PRESETS` names the settings of
``lipnet benchmark --preset``, and :class:`Progress` shows the time left.
"""

from ._compare import (
    ModelResult,
    class_order,
    compare_models,
    training_history,
    work_units,
)
from ._presets import (
    BENCHMARK_PRESETS,
    BenchmarkPreset,
    resolve_compile,
    resolve_precision,
    scaled_learning_rate,
)
from ._progress import EpochProgress, Progress
from ._report import check_report_folder, format_results, write_report
from ._thesis_results import TABLE_NUMBERS, thesis_confusion

__all__ = [
    "BENCHMARK_PRESETS",
    "TABLE_NUMBERS",
    "BenchmarkPreset",
    "EpochProgress",
    "ModelResult",
    "Progress",
    "check_report_folder",
    "class_order",
    "compare_models",
    "format_results",
    "resolve_compile",
    "resolve_precision",
    "scaled_learning_rate",
    "thesis_confusion",
    "training_history",
    "work_units",
    "write_report",
]
