"""Write the figures of ``docs/inspection.md``: what LipNet-4 learned.

Run from the repository root::

    python docs/make_inspection_figures.py   # 30 min on the busy 2-core dev machine
    python docs/make_inspection_figures.py --device cuda

For each synthetic problem it trains LipNet-4 (the thesis's best network) on
``make_liposomes`` cut-outs with equal class weights, and the feature SVM on
the same particles, then draws the inspection figures on held-out particles
into ``docs/images/inspection_*.png``. It also draws the saliency maps of the
known-answer spot task (``make_spot_images``).
"""

import argparse
import io
from pathlib import Path

import numpy as np
from PIL import Image

from sklearn_lipnet import LipNetClassifier, make_lipnet_pipeline, make_svm_pipeline
from sklearn_lipnet.datasets import CLASSES, make_liposomes
from sklearn_lipnet.inspection import (
    METHODS,
    make_spot_images,
    plot_activations,
    plot_embedding,
    plot_feature_importance,
    plot_filters,
    plot_misclassified,
    plot_saliency,
)


def save(figure, path):
    """PNG with a 256-colour palette: grey noise barely compresses otherwise."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    Image.open(buffer).convert("RGB").quantize(256).save(path, optimize=True)
    print(f"wrote {path}", flush=True)


def first_of_each_class(y, labels, per_class):
    rows = [np.flatnonzero(y == label)[:per_class] for label in labels]
    return np.concatenate(rows)


def problem_figures(problem, args, out):
    table, y = make_liposomes(
        args.n_samples,
        problem=problem,
        weights=[1] * len(CLASSES[problem]),
        random_state=args.seed,
    )
    n_train = int(0.8 * len(y))
    train, test = table.iloc[:n_train], table.iloc[n_train:]
    y_train, y_test = y[:n_train], y[n_train:]
    lipnet = make_lipnet_pipeline(
        "lipnet4", max_epochs=args.epochs, device=args.device, random_state=args.seed
    ).fit(train, y_train)
    accuracy = (lipnet.predict(test) == y_test).mean()
    print(f"{problem}: LipNet-4 held-out accuracy {accuracy:.2f}", flush=True)
    save(plot_filters(lipnet), out / f"inspection_filters_{problem}.png")
    example = np.flatnonzero(y_test == CLASSES[problem][1])[0]
    save(
        plot_activations(lipnet, test.iloc[[example]]),
        out / f"inspection_activations_{problem}.png",
    )
    rows = first_of_each_class(y_test, CLASSES[problem], 2)
    save(
        plot_saliency(lipnet, test.iloc[rows], list(METHODS), y=y_test[rows]),
        out / f"inspection_saliency_{problem}.png",
    )
    save(
        plot_embedding(lipnet, test, y_test, random_state=args.seed),
        out / f"inspection_embedding_{problem}.png",
    )
    save(
        plot_misclassified(lipnet, test, y_test, n=12),
        out / f"inspection_misclassified_{problem}.png",
    )
    svm = make_svm_pipeline(random_state=args.seed).fit(train, y_train)
    save(
        plot_feature_importance(
            svm, test, y_test, n_repeats=10, random_state=args.seed
        ),
        out / f"inspection_feature_importance_{problem}.png",
    )


def spot_figure(args, out):
    X, y, _ = make_spot_images(400, random_state=args.seed)
    X_test, y_test, _ = make_spot_images(40, random_state=args.seed + 1)
    clf = LipNetClassifier(
        "lipnet4",
        max_epochs=10,
        augment=False,
        device=args.device,
        random_state=args.seed,
    ).fit(X, y)
    rows = first_of_each_class(y_test, ["spot", "no spot"], 2)
    save(
        plot_saliency(clf, X_test[rows], list(METHODS), target="spot", y=y_test[rows]),
        out / "inspection_spots.png",
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=1500)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "images")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    spot_figure(args, args.out)
    for problem in CLASSES:
        problem_figures(problem, args, args.out)


if __name__ == "__main__":
    main()
