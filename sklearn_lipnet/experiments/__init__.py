"""Experiments: model comparisons, micrograph analyses and their reports.

:func:`compare_models` cross-validates several models on the same stratified
folds; :func:`write_report` turns the results into a report folder (Markdown,
PNG plots, CSV and JSON) next to the thesis's published confusion matrices
(:func:`thesis_confusion`). :data:`BENCHMARK_PRESETS` names the settings of
``lipnet benchmark --preset``, and :class:`Progress` shows the time left.

For micrographs, :func:`analyze_micrograph` finds and classifies the
particles of one micrograph file, :func:`summarize_samples` gives the
per-sample class fractions (with bootstrap intervals) and size statistics,
and :func:`write_analysis_report` writes what ``lipnet analyze`` reports.
"""

from ._analysis import (
    analyze_micrograph,
    rebalanced_training,
    try_analyze_micrograph,
)
from ._compare import (
    ModelResult,
    class_order,
    compare_models,
    training_history,
    work_units,
)
from ._micrograph_report import (
    class_colours,
    draw_overlay,
    plot_size_histograms,
    write_analysis_report,
)
from ._presets import (
    BENCHMARK_PRESETS,
    THESIS_TRAINING,
    BenchmarkPreset,
    resolve_compile,
    resolve_precision,
    scaled_learning_rate,
)
from ._progress import EpochProgress, Progress, format_duration
from ._report import check_report_folder, format_results, write_report
from ._samples import class_fractions, size_statistics, summarize_samples
from ._thesis_results import TABLE_NUMBERS, thesis_confusion

__all__ = [
    "BENCHMARK_PRESETS",
    "TABLE_NUMBERS",
    "THESIS_TRAINING",
    "BenchmarkPreset",
    "EpochProgress",
    "ModelResult",
    "Progress",
    "analyze_micrograph",
    "check_report_folder",
    "class_colours",
    "class_fractions",
    "class_order",
    "compare_models",
    "draw_overlay",
    "format_duration",
    "format_results",
    "plot_size_histograms",
    "rebalanced_training",
    "resolve_compile",
    "resolve_precision",
    "scaled_learning_rate",
    "size_statistics",
    "summarize_samples",
    "thesis_confusion",
    "training_history",
    "try_analyze_micrograph",
    "work_units",
    "write_analysis_report",
    "write_report",
]
