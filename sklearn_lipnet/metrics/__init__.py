"""Per-class measures, confusion matrices and cross-validation reports.

Classes in particle data are badly imbalanced (87/12/0.6 % and 97/2/0.65 %
in the thesis), so accuracy says little. Everything here is per class,
one-vs-rest: TPR (sensitivity, recall), TNR (specificity), PPV (precision),
NPV, F1 and support, as in section 4.6 of the thesis.
"""

from ._cross_validation import (
    CrossValidationReport,
    cross_validate_per_class,
    per_class_scoring,
)
from ._per_class import (
    MEASURES,
    confusion_matrix_frame,
    per_class_report,
    per_class_report_from_confusion,
)

__all__ = [
    "MEASURES",
    "CrossValidationReport",
    "confusion_matrix_frame",
    "cross_validate_per_class",
    "per_class_report",
    "per_class_report_from_confusion",
    "per_class_scoring",
]
