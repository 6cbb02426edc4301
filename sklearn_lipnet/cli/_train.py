"""``lipnet train``: fit a model on a labelled folder and save it."""

from ._common import (
    add_model_options,
    build_model,
    check_class_sizes,
    check_output_file,
    display_name,
    load_labelled,
    logger,
    model_names,
)

__all__ = ["add_parser", "run"]


def add_parser(commands):
    """Register ``train`` with the ``lipnet`` parser's subcommands."""
    parser = commands.add_parser("train", help="train a model on a labelled folder")
    parser.add_argument("--data", required=True, help="folder per class or index file")
    parser.add_argument("--out", required=True, help="model file to write")
    parser.add_argument(
        "--model",
        choices=model_names(),
        default="lipnet4",
        help="model to train (default: lipnet4)",
    )
    add_model_options(parser, epochs=30)
    parser.set_defaults(func=run)
    return parser


def run(args):
    """Train the model the parsed ``args`` describe; return the exit status."""
    from ..persistence import save_model

    # Before hours of training, not after.
    out = check_output_file(args.out)
    table, y = load_labelled(args.data)
    if args.model == "svm":
        # The probabilities come from a 5-fold calibration (Platt scaling):
        # a class of one particle is missing from one of its training folds.
        check_class_sizes(
            y,
            2,
            "--model svm (its probabilities are calibrated by 5-fold cross-validation)",
        )
    log = logger(args)
    log(f"Training {display_name(args.model)} on {len(y)} particles from {args.data}")
    args.probability = True
    model = build_model(args.model, args).fit(table, y)
    # Ctrl-C during fit ends the command before this line: an existing model
    # file is replaced only by a finished model, and only as a whole.
    save_model(model, out)
    print(f"Model written to {out}")
    return 0
