"""How hard the synthetic liposomes are: LipNet-4 and a simple baseline on them.

For each problem, ``make_liposomes`` draws a set (balanced classes, and the
thesis's proportions), ``ParticlePreprocessor`` turns it into 28 x 28 images
(``--mode``, default the thesis's best, "masked" with the true masks), and
stratified k-fold cross-validation measures per class the true positive rate
(recall), the positive predictive value (precision) and F1 of

* a simple baseline: standardised pixels into a class-weighted logistic
  regression, and
* LipNet-4 (``LipNetClassifier`` with its defaults: augmentation, per-epoch
  oversampling).

A generator whose classes both reach perfectly is too easy; one where
LipNet-4 does no better than the baseline has no learnable structure.

Run::

    python -m benchmarks.bench_liposome_difficulty --device cuda
    python -m benchmarks.bench_liposome_difficulty --device cpu --n-balanced 300 \\
        --n-thesis 0 --max-epochs 5 --folds 3            # a quick look on a CPU

Writes ``benchmarks/results/liposome_difficulty_<device>.{json,md}``.
"""

import argparse
import sys
import time

from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_lipnet import LipNetClassifier, ParticlePreprocessor
from sklearn_lipnet.datasets import CLASSES, make_liposomes

from ._environment import machine_info, machine_markdown, write_result


def models(args):
    return {
        "logistic regression on pixels": make_pipeline(
            StandardScaler(),
            LogisticRegression(C=0.01, class_weight="balanced", max_iter=3000),
        ),
        "LipNet-4": LipNetClassifier(
            "lipnet4",
            max_epochs=args.max_epochs,
            device=args.device,
            random_state=args.seed,
        ),
    }


def evaluate(problem, weights_name, n_samples, args):
    weights = [1, 1, 1] if weights_name == "balanced" else None
    start = time.perf_counter()
    table, y = make_liposomes(
        n_samples, problem=problem, weights=weights, random_state=args.seed
    )
    X = ParticlePreprocessor(args.mode).fit_transform(table)
    prepared = time.perf_counter() - start
    cv = StratifiedKFold(args.folds, shuffle=True, random_state=args.seed)
    rows = []
    for name, model in models(args).items():
        start = time.perf_counter()
        predicted = cross_val_predict(model, X, y, cv=cv)
        seconds = time.perf_counter() - start
        labels = list(CLASSES[problem])
        precision, recall, f1, support = precision_recall_fscore_support(
            y, predicted, labels=labels, zero_division=0
        )
        rows.append(
            {
                "problem": problem,
                "weights": weights_name,
                "n_samples": n_samples,
                "model": name,
                "balanced_accuracy": balanced_accuracy_score(y, predicted),
                "per_class": {
                    label: {
                        "support": int(s),
                        "tpr": float(r),
                        "ppv": float(p),
                        "f1": float(f),
                    }
                    for label, p, r, f, s in zip(labels, precision, recall, f1, support)
                },
                "seconds": seconds,
                "data_seconds": prepared,
            }
        )
        print(
            f"{problem} {weights_name} {name}: balanced accuracy "
            f"{rows[-1]['balanced_accuracy']:.3f} ({seconds:.0f} s)",
            flush=True,
        )
    return rows


def markdown(rows, args, info, command):
    lines = [
        "# How hard are the synthetic liposomes?",
        "",
        f"`{command}` "
        f"({args.folds}-fold stratified cross-validation, mode={args.mode!r}, "
        f"size 28, LipNet-4 max_epochs={args.max_epochs}, seed {args.seed}). "
        "Per class: TPR / PPV / F1.",
        "",
        "| problem | proportions | n | model | balanced acc. | per class "
        "(TPR / PPV / F1) |",
        "| --- | --- | ---: | --- | ---: | --- |",
    ]
    for row in rows:
        per_class = "; ".join(
            f"{label} ({m['support']}): {m['tpr']:.2f} / {m['ppv']:.2f} / {m['f1']:.2f}"
            for label, m in row["per_class"].items()
        )
        lines.append(
            f"| {row['problem']} | {row['weights']} | {row['n_samples']} | "
            f"{row['model']} | {row['balanced_accuracy']:.3f} | {per_class} |"
        )
    lines += ["", "## Machine", "", machine_markdown(info)]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--mode", default="masked")
    parser.add_argument("--n-balanced", type=int, default=1500)
    parser.add_argument("--n-thesis", type=int, default=3000)
    parser.add_argument("--max-epochs", type=int, default=30)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--problems", nargs="+", default=list(CLASSES))
    args = parser.parse_args(argv)
    command = " ".join(
        ["python -m benchmarks.bench_liposome_difficulty"]
        + (sys.argv[1:] if argv is None else list(argv))
    )
    info = machine_info()
    rows = []
    for problem in args.problems:
        for weights_name, n_samples in (
            ("balanced", args.n_balanced),
            ("thesis", args.n_thesis),
        ):
            if n_samples:
                rows += evaluate(problem, weights_name, n_samples, args)
    result = {"machine": info, "arguments": vars(args), "results": rows}
    text = markdown(rows, args, info, command)
    paths = write_result(f"liposome_difficulty_{args.device}", result, text)
    print(text)
    print("wrote", *paths)


if __name__ == "__main__":
    main()
