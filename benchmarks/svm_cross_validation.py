"""Per-class recall of the thesis's feature SVM on the synthetic liposomes.

``make_svm_pipeline()`` (thesis features, StandardScaler, SVC with balanced
class weights, no resampling) in a stratified 5-fold ``cross_validate`` on
``make_liposomes`` data with the thesis's class proportions, for both
problems, next to the thesis's SVM (tables 7 and 8: 5-fold average
normalised confusion matrices on the real data).

Besides, on the same folds: the same SVM with random oversampling and with
SMOTE, and with all features. ``ParticleFeatures`` is stateless (a
particle's features do not depend on the other particles), so these variants
reuse one feature matrix instead of recomputing it per fold; the main
result runs the whole pipeline per fold.

Run from the repository root::

    python -m benchmarks.svm_cross_validation  # results/svm_cross_validation.*
"""

import argparse
import time

import numpy as np
from imblearn.pipeline import Pipeline
from sklearn.metrics import confusion_matrix
from sklearn.model_selection import StratifiedKFold, cross_validate

from sklearn_lipnet import ParticleFeatures, make_svm_pipeline
from sklearn_lipnet.datasets import make_liposomes

from ._environment import machine_info, machine_markdown, write_result
from .bench_features import git_commit

#: Thesis tables 7 and 8: rows true class, columns predicted class.
THESIS_SVM = {
    "encapsulation": {
        "classes": ["empty", "full", "uncertain"],
        "matrix": [[0.89, 0.01, 0.10], [0.04, 0.87, 0.09], [0.18, 0.10, 0.72]],
    },
    "lamellarity": {
        "classes": ["unilamellar", "multilamellar", "uncertain"],
        "matrix": [[0.94, 0.04, 0.02], [0.00, 0.98, 0.02], [0.03, 0.11, 0.86]],
    },
}


def per_class_scorer(classes):
    """Scorer giving each class's recall and the row-normalised confusion matrix."""

    def score(estimator, X, y):
        matrix = confusion_matrix(
            y, estimator.predict(X), labels=classes, normalize="true"
        )
        scores = {f"recall {true}": matrix[i, i] for i, true in enumerate(classes)}
        for i, true in enumerate(classes):
            for j, predicted in enumerate(classes):
                scores[f"{true} as {predicted}"] = matrix[i, j]
        return scores

    return score


def summarise(scores, classes):
    recall = {
        c: (
            float(np.mean(scores[f"test_recall {c}"])),
            float(np.std(scores[f"test_recall {c}"])),
        )
        for c in classes
    }
    matrix = [
        [float(np.mean(scores[f"test_{t} as {p}"])) for p in classes] for t in classes
    ]
    return {"recall_mean_std": recall, "confusion_matrix": matrix}


def run_problem(problem, n_samples, random_state):
    thesis = THESIS_SVM[problem]
    classes = thesis["classes"]
    start = time.perf_counter()
    table, y = make_liposomes(n_samples, problem=problem, random_state=random_state)
    generate_s = time.perf_counter() - start
    counts = {c: int(np.sum(y == c)) for c in classes}
    cv = StratifiedKFold(5, shuffle=True, random_state=random_state)
    scorer = per_class_scorer(classes)

    start = time.perf_counter()
    scores = cross_validate(
        make_svm_pipeline(n_jobs=2), table, y, cv=cv, scoring=scorer
    )
    main_s = time.perf_counter() - start
    result = {
        "counts": counts,
        "generate_seconds": round(generate_s, 1),
        "cross_validate_seconds": round(main_s, 1),
        "make_svm_pipeline()": summarise(scores, classes),
        "variants": {},
    }
    print(problem, counts, result["make_svm_pipeline()"]["recall_mean_std"])

    feature_sets = {
        "thesis": ParticleFeatures("thesis", n_jobs=2),
        "all": ParticleFeatures("all", n_jobs=2),
        "thesis, dtype range": ParticleFeatures(
            "thesis", intensity_range="dtype", n_jobs=2
        ),
    }
    matrices = {
        name: features.fit_transform(table) for name, features in feature_sets.items()
    }
    variants = {
        'sampler="oversample"': ("thesis", {"sampler": "oversample"}),
        'sampler="smote"': ("thesis", {"sampler": "smote"}),
        'features="all"': ("all", {}),
        'intensity_range="dtype"': ("thesis, dtype range", {}),
    }
    for name, (features, options) in variants.items():
        pipeline = make_svm_pipeline(random_state=random_state, **options)
        after_features = Pipeline(pipeline.steps[1:])
        scores = cross_validate(
            after_features, matrices[features], y, cv=cv, scoring=scorer
        )
        result["variants"][name] = summarise(scores, classes)
        print(" ", name, result["variants"][name]["recall_mean_std"])
    return result


def markdown_for(problem, result):
    thesis = THESIS_SVM[problem]
    classes = thesis["classes"]
    main = result["make_svm_pipeline()"]
    header = "| class | particles | recall, make_svm_pipeline() | thesis SVM |"
    lines = [header, "| --- | --- | --- | --- |"]
    for i, c in enumerate(classes):
        mean, std = main["recall_mean_std"][c]
        lines.append(
            f"| {c} | {result['counts'][c]} | {mean:.2f} ± {std:.2f} | "
            f"{thesis['matrix'][i][i]:.2f} |"
        )
    variant_header = "| variant | " + " | ".join(classes) + " |"
    variant_lines = [variant_header, "|---" * (len(classes) + 1) + "|"]
    for name, summary in [("make_svm_pipeline()", main)] + list(
        result["variants"].items()
    ):
        cells = " | ".join(f"{summary['recall_mean_std'][c][0]:.2f}" for c in classes)
        variant_lines.append(f"| {name} | {cells} |")
    matrix_lines = [
        "| true \\ predicted | " + " | ".join(classes) + " |",
        "|---" * (len(classes) + 1) + "|",
    ]
    for i, c in enumerate(classes):
        cells = " | ".join(
            f"{main['confusion_matrix'][i][j]:.2f} ({thesis['matrix'][i][j]:.2f})"
            for j in range(len(classes))
        )
        matrix_lines.append(f"| {c} | {cells} |")
    return f"""## {problem}

Per-class recall (true positive rate), mean ± standard deviation over the 5
folds:

{chr(10).join(lines)}

5-fold average normalised confusion matrix, ours (thesis table
{7 if problem == "encapsulation" else 8}):

{chr(10).join(matrix_lines)}

Variants on the same folds, per-class recall:

{chr(10).join(variant_lines)}

Generation {result["generate_seconds"]} s, `cross_validate` of the pipeline
{result["cross_validate_seconds"]} s.
"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=5000)
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    results = {
        problem: run_problem(problem, args.n_samples, args.random_state)
        for problem in ("lamellarity", "encapsulation")
    }
    info = machine_info()
    info["commit"] = git_commit()
    command = (
        "python -m benchmarks.svm_cross_validation "
        f"--n-samples {args.n_samples} --random-state {args.random_state}"
    )
    markdown = (
        f"""# Feature SVM, stratified 5-fold cross-validation

`{command}`

`make_liposomes({args.n_samples}, problem=..., random_state={args.random_state})`
with the thesis's class proportions; `make_svm_pipeline()` = thesis features
(area, circularity, moments, edge profile, histogram, internal variance) ->
StandardScaler -> SVC(class_weight="balanced"), folds
`StratifiedKFold(5, shuffle=True, random_state={args.random_state})`. The
thesis's numbers are on the real Vironova data, ours on synthetic data: they
show the pipeline behaves like the thesis's SVM, not that the data match.

"""
        + "\n".join(markdown_for(p, r) for p, r in results.items())
        + f"\n## Machine\n\n{machine_markdown(info)}\n"
    )
    if not args.no_write:
        payload = {"command": command, "results": results, "machine": info}
        for path in write_result("svm_cross_validation", payload, markdown):
            print("wrote", path)


if __name__ == "__main__":
    main()
