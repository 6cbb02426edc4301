"""How well particles were found: detections paired with the true particles."""

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

__all__ = ["detection_scores", "match_particles"]

_NEEDED = ("micrograph", "y", "x", "diameter_nm")


def _check_columns(table, name, needed):
    missing = [column for column in needed if column not in table.columns]
    if missing:
        raise ValueError(f"{name} lacks the column(s) {missing}.")


def match_particles(found, truth):
    """Pair particles found with true ones, one to one, per micrograph.

    A detection matches a true particle when its centre lies within half the
    true diameter of the true centre; among the possible pairings, the one
    with the smallest total distance is taken (Hungarian algorithm), so that
    no particle is matched twice.

    Parameters
    ----------
    found : pandas.DataFrame
        Detections, e.g. from :func:`find_particles`: ``micrograph``, ``y``,
        ``x`` (pixels), ``diameter_nm`` and ``pixel_size_nm``.
    truth : pandas.DataFrame
        The true particles, e.g. from
        :func:`~sklearn_lipnet.datasets.make_micrographs`: ``micrograph``,
        ``y``, ``x``, ``diameter_nm``. Pixel sizes are those of ``found``
        (or of ``truth``'s own ``pixel_size_nm`` column).

    Returns
    -------
    matches : pandas.DataFrame
        One row per pair: ``found`` and ``truth`` (index labels in the two
        tables), ``distance_nm`` between the centres, and
        ``diameter_error`` (found diameter / true diameter - 1).

    See Also
    --------
    detection_scores : Precision, recall and diameter error in one call.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_lipnet.detection import match_particles
    >>> truth = pd.DataFrame({"micrograph": ["a", "a"], "y": [50.0, 150.0],
    ...                       "x": [50.0, 150.0], "diameter_nm": [80.0, 60.0]})
    >>> found = pd.DataFrame({"micrograph": ["a", "a"], "y": [60.0, 400.0],
    ...                       "x": [45.0, 400.0], "diameter_nm": [84.0, 50.0],
    ...                       "pixel_size_nm": [1.0, 1.0]})
    >>> match_particles(found, truth).round(3)
       found  truth  distance_nm  diameter_error
    0      0      0        11.18            0.05
    """
    _check_columns(found, "found", (*_NEEDED, "pixel_size_nm"))
    _check_columns(truth, "truth", _NEEDED)
    sizes = found.groupby("micrograph")["pixel_size_nm"].first()
    if "pixel_size_nm" in truth.columns:
        sizes = truth.groupby("micrograph")["pixel_size_nm"].first()
    pairs = []
    for micrograph, true_rows in truth.groupby("micrograph", sort=False):
        found_rows = found[found["micrograph"] == micrograph]
        if not len(found_rows):
            continue
        size = float(sizes.get(micrograph, 1.0))
        distance = np.hypot(
            true_rows["y"].to_numpy()[:, None] - found_rows["y"].to_numpy(),
            true_rows["x"].to_numpy()[:, None] - found_rows["x"].to_numpy(),
        )
        allowed = (true_rows["diameter_nm"].to_numpy() / size / 2)[:, None]
        cost = np.where(distance <= allowed, distance, 1e9)
        true_pos, found_pos = linear_sum_assignment(cost)
        valid = cost[true_pos, found_pos] < 1e9
        for t, f in zip(true_pos[valid], found_pos[valid]):
            pairs.append(
                {
                    "found": found_rows.index[f],
                    "truth": true_rows.index[t],
                    "distance_nm": distance[t, f] * size,
                    "diameter_error": found_rows["diameter_nm"].iloc[f]
                    / true_rows["diameter_nm"].iloc[t]
                    - 1,
                }
            )
    return pd.DataFrame(
        pairs, columns=["found", "truth", "distance_nm", "diameter_error"]
    )


def detection_scores(found, truth):
    """Precision, recall and diameter error of detections against the truth.

    Parameters
    ----------
    found, truth : pandas.DataFrame
        As for :func:`match_particles`.

    Returns
    -------
    scores : dict
        ``n_found``, ``n_true``, ``n_matched``, ``precision`` (matched /
        found), ``recall`` (matched / true), ``median_diameter_error``
        (median of the absolute relative errors of matched diameters) and
        ``median_distance_nm``.

    See Also
    --------
    match_particles : The pairs themselves.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_lipnet.detection import detection_scores
    >>> truth = pd.DataFrame({"micrograph": ["a", "a"], "y": [50.0, 150.0],
    ...                       "x": [50.0, 150.0], "diameter_nm": [80.0, 60.0]})
    >>> found = pd.DataFrame({"micrograph": ["a"], "y": [52.0], "x": [50.0],
    ...                       "diameter_nm": [76.0], "pixel_size_nm": [1.0]})
    >>> scores = detection_scores(found, truth)
    >>> scores["precision"], scores["recall"], scores["median_diameter_error"]
    (1.0, 0.5, 0.05)
    """
    matches = match_particles(found, truth)
    n_matched = len(matches)
    nan = float("nan")
    return {
        "n_found": len(found),
        "n_true": len(truth),
        "n_matched": n_matched,
        "precision": n_matched / len(found) if len(found) else nan,
        "recall": n_matched / len(truth) if len(truth) else nan,
        "median_diameter_error": float(matches["diameter_error"].abs().median())
        if n_matched
        else nan,
        "median_distance_nm": float(matches["distance_nm"].median())
        if n_matched
        else nan,
    }
