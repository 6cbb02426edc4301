"""The thesis's two problems: their classes, counts and benchmark proportions.

Gryshkevych (2016), tables 1 and 2. Every part of the package that names the
classes of a thesis problem, or their proportions, reads them here.
"""

__all__ = ["BENCHMARK_WEIGHTS", "CLASSES", "THESIS_COUNTS", "thesis_proportions"]

#: Class labels of each problem, in the order of the thesis's confusion
#: matrices (tables 7-10), which reports follow.
CLASSES = {
    "lamellarity": ("unilamellar", "multilamellar", "uncertain"),
    "encapsulation": ("empty", "full", "uncertain"),
}

#: Expert-labelled particles per class of the thesis's data (tables 1 and 2).
THESIS_COUNTS = {
    "lamellarity": {"unilamellar": 12368, "multilamellar": 1717, "uncertain": 84},
    "encapsulation": {"empty": 161, "full": 24255, "uncertain": 502},
}

#: Class proportions of the default benchmark: the thesis's imbalance, with
#: the rarest class raised to 4 % so that each of five test folds holds
#: enough rare particles to measure them at all.
BENCHMARK_WEIGHTS = {
    "lamellarity": {"unilamellar": 0.81, "multilamellar": 0.15, "uncertain": 0.04},
    "encapsulation": {"empty": 0.04, "full": 0.86, "uncertain": 0.10},
}


def thesis_proportions(problem):
    """Fraction of each class in the thesis's data set of ``problem``.

    Parameters
    ----------
    problem : {"lamellarity", "encapsulation"}

    Returns
    -------
    proportions : dict of {str: float}
        In the order of :data:`CLASSES`; sums to one.

    Examples
    --------
    >>> from sklearn_lipnet.datasets import thesis_proportions
    >>> {k: round(v, 4) for k, v in thesis_proportions("lamellarity").items()}
    {'unilamellar': 0.8729, 'multilamellar': 0.1212, 'uncertain': 0.0059}
    """
    counts = THESIS_COUNTS[problem]
    total = sum(counts.values())
    return {label: counts[label] / total for label in CLASSES[problem]}
