"""The thesis's comparison protocol and the report that ``lipnet benchmark`` writes.

:func:`compare_models` cross-validates several models on the same stratified
folds; :func:`write_report` turns the results into a report folder (Markdown,
PNG plots, CSV and JSON) next to the thesis's published confusion matrices
(:func:`thesis_confusion`).

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
from ._compare import ModelResult, class_order, compare_models, training_history
from ._micrograph_report import (
    class_colours,
    draw_overlay,
    plot_size_histograms,
    write_analysis_report,
)
from ._report import format_results, write_report
from ._samples import class_fractions, size_statistics, summarize_samples
from ._thesis_results import TABLE_NUMBERS, thesis_confusion

__all__ = [
    "TABLE_NUMBERS",
    "ModelResult",
    "analyze_micrograph",
    "class_colours",
    "class_fractions",
    "class_order",
    "compare_models",
    "draw_overlay",
    "format_results",
    "plot_size_histograms",
    "rebalanced_training",
    "size_statistics",
    "summarize_samples",
    "thesis_confusion",
    "training_history",
    "try_analyze_micrograph",
    "write_analysis_report",
    "write_report",
]
