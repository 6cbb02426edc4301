"""Micrographs to per-sample class fractions: a small version of the benchmark."""

import numpy as np
import pandas as pd

from sklearn_lipnet import find_particles, make_svm_pipeline
from sklearn_lipnet.datasets import CLASSES, make_liposomes, make_micrographs
from sklearn_lipnet.experiments import summarize_samples


def test_fractions_of_a_model_trained_on_cut_outs_are_within_5_points():
    classes = list(CLASSES["lamellarity"])
    cut_outs, labels = make_liposomes(400, random_state=0)  # thesis proportions
    # Automatic masks in training, as in the micrographs.
    model = make_svm_pipeline(random_state=0).fit(cut_outs.drop(columns="mask"), labels)
    errors, baseline = [], []
    for sample in (1, 2):
        micrographs, truth = make_micrographs(4, shape=1024, random_state=sample)
        particles = find_particles(micrographs)
        particles["sample"] = sample
        particles["class"] = model.predict(particles)
        summary = summarize_samples(particles, classes, n_bootstrap=50)
        found = summary[summary["class"] != "all"].set_index("class")["fraction"]
        true = (
            truth.loc[~truth["cut_by_border"], "class"]
            .value_counts(normalize=True)
            .reindex(classes, fill_value=0)
        )
        assert summary.loc[summary["class"] == "all", "n"].item() > 60
        errors.append((found - true).abs().max())
        baseline.append((pd.Series([1.0, 0, 0], index=classes) - true).abs().max())
    assert max(errors) < 0.05
    # the classifier matters: calling everything unilamellar is far off
    assert min(baseline) > 0.08 and np.mean(errors) < np.mean(baseline) / 2
