"""Per-sample quality-control statistics: class fractions and particle sizes."""

from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

__all__ = ["SIZE_COLUMNS", "class_fractions", "size_statistics", "summarize_samples"]

#: Columns of :func:`size_statistics`, after ``sample`` and ``class``.
SIZE_COLUMNS = ("diameter_mean_nm", "diameter_std_nm", "D10_nm", "D50_nm", "D90_nm")


def _check_table(particles, needed):
    missing = [column for column in needed if column not in particles.columns]
    if missing:
        raise ValueError(f"particles lacks the column(s) {missing}.")


def _resampled_means(values, n_bootstrap, rng, chunk=200):
    """Column means of ``values`` (n x k) over bootstrap resamples of its rows.

    Each resample draws ``n`` rows with replacement, i.e. row counts from a
    multinomial distribution; chunks keep the memory at ``chunk * n``.
    """
    n = len(values)
    means = []
    for start in range(0, n_bootstrap, chunk):
        size = min(chunk, n_bootstrap - start)
        counts = rng.multinomial(n, np.full(n, 1 / n), size=size)
        means.append(counts @ values / n)
    return np.concatenate(means)


def class_fractions(
    particles, classes, *, n_bootstrap=1000, confidence=0.95, random_state=0
):
    """Counts and fractions of each class per sample, with bootstrap intervals.

    Two estimates of a class's share in a sample: the fraction of particles
    classified into it (``fraction``), and, where the table has the class
    probabilities (columns ``p_<class>``), their mean over the particles
    (``expected_fraction``: each particle counts with its probability, so a
    particle the model hesitates about is not counted wholly as one class).
    The second is the better estimate when the probabilities are
    calibrated for the sample, as those of a model trained on particles in
    similar proportions without rebalancing are.

    The intervals are percentile bootstrap intervals over the sample's
    particles: ``n_bootstrap`` resamples of its ``n`` particles with
    replacement, the same resamples for both estimates.

    Parameters
    ----------
    particles : pandas.DataFrame
        One row per particle with ``sample`` and ``class`` columns, and
        optionally ``p_<class>`` for every class.
    classes : sequence of str
        The classes to report, in order; classes no particle has get 0.
    n_bootstrap : int, default=1000
        Bootstrap resamples.
    confidence : float, default=0.95
        Coverage of the intervals.
    random_state : int, RandomState instance or None, default=0
        Seeds the resampling.

    Returns
    -------
    fractions : pandas.DataFrame
        One row per sample and class: ``sample``, ``class``, ``n`` (count),
        ``n_sample`` (the sample's particles), ``fraction``,
        ``fraction_low``, ``fraction_high`` and, with probabilities,
        ``expected_fraction``, ``expected_low``, ``expected_high``.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_lipnet.experiments import class_fractions
    >>> particles = pd.DataFrame({"sample": ["a"] * 100,
    ...                           "class": ["uni"] * 90 + ["multi"] * 10,
    ...                           "p_uni": [0.9] * 90 + [0.4] * 10})
    >>> particles["p_multi"] = 1 - particles["p_uni"]
    >>> table = class_fractions(particles, ["uni", "multi"], random_state=0)
    >>> table[["class", "n", "fraction", "expected_fraction"]]
       class   n  fraction  expected_fraction
    0    uni  90       0.9               0.85
    1  multi  10       0.1               0.15
    >>> bool(table["fraction_low"][1] < 0.1 < table["fraction_high"][1])
    True
    """
    _check_table(particles, ("sample", "class"))
    if not isinstance(n_bootstrap, Integral) or n_bootstrap < 1:
        raise ValueError(
            f"n_bootstrap must be a positive integer, got {n_bootstrap!r}."
        )
    if not isinstance(confidence, Real) or not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}.")
    rng = check_random_state(random_state)
    classes = [str(label) for label in classes]
    probability_columns = [f"p_{label}" for label in classes]
    expected = all(column in particles.columns for column in probability_columns)
    tail = 100 * (1 - confidence) / 2
    rows = []
    for sample, group in particles.groupby("sample", sort=False):
        labels = group["class"].astype(str).to_numpy()
        values = (labels[:, None] == np.array(classes)[None, :]).astype(float)
        if expected:
            values = np.hstack(
                [values, group[probability_columns].to_numpy(dtype=float)]
            )
        n = len(group)
        observed = values.mean(axis=0)
        low, high = np.percentile(
            _resampled_means(values, n_bootstrap, rng), [tail, 100 - tail], axis=0
        )
        k = len(classes)
        for j, label in enumerate(classes):
            row = {
                "sample": sample,
                "class": label,
                "n": int(values[:, j].sum()),
                "n_sample": n,
                "fraction": float(observed[j]),
                "fraction_low": float(low[j]),
                "fraction_high": float(high[j]),
            }
            if expected:
                row.update(
                    expected_fraction=float(observed[k + j]),
                    expected_low=float(low[k + j]),
                    expected_high=float(high[k + j]),
                )
            rows.append(row)
    columns = ["sample", "class", "n", "n_sample"]
    columns += ["fraction", "fraction_low", "fraction_high"]
    if expected:
        columns += ["expected_fraction", "expected_low", "expected_high"]
    return pd.DataFrame(rows, columns=columns)


def size_statistics(particles, classes):
    """Diameter statistics per sample and class, and for all classes together.

    Parameters
    ----------
    particles : pandas.DataFrame
        ``sample``, ``class`` and ``diameter_nm`` columns.
    classes : sequence of str
        The classes to report, in order; ``"all"`` follows them.

    Returns
    -------
    sizes : pandas.DataFrame
        One row per sample and class (``"all"`` for every particle of the
        sample): ``sample``, ``class``, ``n`` and :data:`SIZE_COLUMNS` (mean,
        standard deviation and the 10th, 50th and 90th percentiles of the
        diameter, in nm; NaN without particles).

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_lipnet.experiments import size_statistics
    >>> particles = pd.DataFrame({"sample": "a", "class": ["uni"] * 11,
    ...                           "diameter_nm": range(50, 105, 5)})
    >>> size_statistics(particles, ["uni"])[["class", "n", "D10_nm", "D50_nm"]]
      class   n  D10_nm  D50_nm
    0   uni  11    55.0    75.0
    1   all  11    55.0    75.0
    """
    _check_table(particles, ("sample", "class", "diameter_nm"))
    rows = []
    for sample, group in particles.groupby("sample", sort=False):
        for label in [*classes, "all"]:
            sizes = (
                group["diameter_nm"]
                if label == "all"
                else group.loc[group["class"] == label, "diameter_nm"]
            ).to_numpy(dtype=float)
            row = {"sample": sample, "class": label, "n": len(sizes)}
            if len(sizes):
                d10, d50, d90 = np.percentile(sizes, [10, 50, 90])
                row.update(
                    diameter_mean_nm=sizes.mean(),
                    diameter_std_nm=sizes.std(ddof=1) if len(sizes) > 1 else np.nan,
                    D10_nm=d10,
                    D50_nm=d50,
                    D90_nm=d90,
                )
            rows.append(row)
    return pd.DataFrame(rows, columns=["sample", "class", "n", *SIZE_COLUMNS])


def summarize_samples(
    particles,
    classes,
    *,
    include_cut=False,
    n_bootstrap=1000,
    confidence=0.95,
    random_state=0,
):
    """The per-sample summary: class fractions with intervals, and sizes.

    Parameters
    ----------
    particles : pandas.DataFrame
        One row per particle: ``sample``, ``class`` (predicted),
        ``diameter_nm`` and optionally ``cut_by_border`` and the class
        probabilities ``p_<class>``.
    classes : sequence of str
        The model's classes, in report order.
    include_cut : bool, default=False
        Count particles cut by the micrograph's border too. By default they
        are left out: part of them is unseen, so their class is less
        certain, and large particles are cut more often than small ones.
    n_bootstrap, confidence, random_state
        As for :func:`class_fractions`.

    Returns
    -------
    summary : pandas.DataFrame
        One row per sample and class (and ``"all"``): the columns of
        :func:`class_fractions` (the shares of ``"all"`` are 1) joined with
        those of :func:`size_statistics`.

    See Also
    --------
    class_fractions, size_statistics : The two halves.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_lipnet.experiments import summarize_samples
    >>> particles = pd.DataFrame({
    ...     "sample": ["a"] * 4, "class": ["uni", "uni", "multi", "uni"],
    ...     "diameter_nm": [80.0, 90.0, 150.0, 400.0],
    ...     "cut_by_border": [False, False, False, True]})
    >>> summary = summarize_samples(particles, ["uni", "multi"])
    >>> summary[["class", "n", "fraction", "D50_nm"]]
       class  n  fraction  D50_nm
    0    uni  2  0.666667    85.0
    1  multi  1  0.333333   150.0
    2    all  3  1.000000    90.0
    """
    if not include_cut and "cut_by_border" in particles.columns:
        particles = particles[~particles["cut_by_border"].astype(bool)]
    fractions = class_fractions(
        particles,
        classes,
        n_bootstrap=n_bootstrap,
        confidence=confidence,
        random_state=random_state,
    )
    sizes = size_statistics(particles, classes)
    summary = sizes.merge(
        fractions.drop(columns="n"), on=["sample", "class"], how="left"
    )
    share_columns = [
        c for c in fractions.columns if c.startswith(("fraction", "expected"))
    ]
    summary.loc[summary["class"] == "all", share_columns] = 1.0
    summary["n_sample"] = summary.groupby("sample")["n"].transform("max")
    columns = ["sample", "class", "n", "n_sample", *share_columns, *SIZE_COLUMNS]
    return summary[columns]
