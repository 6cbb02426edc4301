"""``lipnet explain``: figures of what a saved model looks at."""

from pathlib import Path

from ._common import CommandError, logger, positive_int, read_particles

__all__ = ["add_parser", "run"]


def add_parser(commands):
    """Register ``explain`` with the ``lipnet`` parser's subcommands."""
    from ..inspection import METHODS, PROJECTIONS

    parser = commands.add_parser(
        "explain",
        help="figures of what a trained model looks at",
        description="Write PNG figures that explain a model from 'lipnet train' "
        "on some particles. A LipNet: its first-layer filters, the feature maps "
        "of the first particle, saliency maps of a few particles; with labelled "
        "particles (a folder per class or an index file with classes) also the "
        "map of its penultimate layer and the most confidently misclassified "
        "particles. The SVM: the permutation importance of its feature "
        "families per class; the hybrid network: the same with its image as "
        "one more family (both need labelled particles).",
    )
    parser.add_argument("--model", required=True, help="model file from train")
    parser.add_argument(
        "inputs",
        nargs="+",
        metavar="IMAGES_OR_DIR",
        help="image files, or one folder or index file",
    )
    parser.add_argument(
        "--out", default="lipnet-explain", help="folder to write (default: %(default)s)"
    )
    parser.add_argument(
        "--methods",
        nargs="+",
        choices=METHODS,
        metavar="METHOD",
        default=["guided_backprop", "hirescam", "integrated_gradients"],
        help=f"saliency methods, of {', '.join(METHODS)} (default: "
        "guided_backprop hirescam integrated_gradients)",
    )
    parser.add_argument(
        "--n-particles",
        type=positive_int,
        default=6,
        help="particles in the saliency figure, spread over the classes when "
        "labelled (default: %(default)s, at most 40)",
    )
    parser.add_argument(
        "--embedding",
        choices=PROJECTIONS,
        default="pca",
        help="projection of the penultimate layer (default: %(default)s)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of t-SNE and the shuffles"
    )
    parser.add_argument(
        "--quiet", action="store_true", help="print only the files written"
    )
    parser.set_defaults(func=run)
    return parser


def _saliency_rows(y, n_particles):
    """Positions for the saliency figure: the first particles of each class."""
    import numpy as np

    if y is None:
        return np.arange(n_particles)
    labels = np.unique(y)
    per_class = max(1, n_particles // len(labels))
    rows = [np.flatnonzero(y == label)[:per_class] for label in labels]
    return np.sort(np.concatenate(rows))[:n_particles]


def run(args):
    """Write the figures the parsed ``args`` ask for; return the exit status."""
    import numpy as np

    from ..inspection import (
        plot_activations,
        plot_embedding,
        plot_feature_importance,
        plot_filters,
        plot_misclassified,
        plot_saliency,
    )
    from ..inspection._feature_importance import _has_feature_source
    from ..inspection._figure import save_figure
    from ..inspection._saliency_plot import MAX_ROWS
    from ..neural_network import LipNetClassifier
    from ..neural_network._image_tensor import HYBRID_LAYOUT
    from ..persistence import load_model

    if args.n_particles > MAX_ROWS:
        raise CommandError(f"--n-particles must be at most {MAX_ROWS}")
    log = logger(args)
    model = load_model(args.model)
    table, y = read_particles(args.inputs)
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    is_lipnet = isinstance(final, LipNetClassifier) and final.input_layout_ == "image"
    is_hybrid = (
        isinstance(final, LipNetClassifier) and final.input_layout_ == HYBRID_LAYOUT
    )
    has_features = _has_feature_source(model)
    if not (is_lipnet or has_features):
        raise CommandError(
            f"{args.model} holds neither a LipNet image network nor a pipeline "
            "with hand-made features; there is nothing to explain."
        )
    if not is_lipnet and y is None:
        kind = "A hybrid network" if is_hybrid else "A feature SVM"
        raise CommandError(
            f"{kind} is explained by the permutation importance of its "
            "features, which needs labelled particles: give one folder per "
            "class or an index file with a class column."
        )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    written = []

    def write(figure, name):
        written.append(save_figure(figure, out / name))
        print(f"wrote {written[-1]}", flush=True)

    log(f"Explaining {args.model} on {len(table)} particles ...")
    if is_hybrid:
        log(
            "A hybrid network: the feature importance shows how much it reads "
            "the image (the 'images' bar) against each feature family; the "
            "image figures (filters, saliency) are drawn for networks on the "
            "image alone."
        )
    if is_lipnet:
        write(plot_filters(model), "filters.png")
        write(plot_activations(model, table.iloc[:1]), "activations.png")
        rows = _saliency_rows(y, min(args.n_particles, len(table)))
        write(
            plot_saliency(
                model,
                table.iloc[rows],
                args.methods,
                y=None if y is None else np.asarray(y)[rows],
            ),
            "saliency.png",
        )
    if y is None:
        log(
            "The particles have no labels: the embedding map and the "
            "misclassified gallery need a folder per class or an index with "
            "classes."
        )
    else:
        if is_lipnet and len(table) >= 3:
            write(
                plot_embedding(
                    model, table, y, method=args.embedding, random_state=args.seed
                ),
                "embedding.png",
            )
        if has_features:
            write(
                plot_feature_importance(model, table, y, random_state=args.seed),
                "feature_importance.png",
            )
        if hasattr(model, "predict_proba"):
            write(plot_misclassified(model, table, y), "misclassified.png")
    log(f"{len(written)} figure(s) written to {out}")
    return 0
