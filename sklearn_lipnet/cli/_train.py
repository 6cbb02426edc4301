"""``lipnet train``: fit a model on a labelled folder and save it."""

from ._common import (
    add_model_options,
    build_model,
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
        metavar="MODEL",
        help="model to train: lipnet1, lipnet2, lipnet4, lipnet4c, lipnet6, "
        "the same at a fixed physical scale (lipnet4c-fixed, ...), hybrid, "
        "stacking or svm (default: lipnet4)",
    )
    add_model_options(parser, epochs=30)
    parser.set_defaults(func=run)
    return parser


def run(args):
    """Train the model the parsed ``args`` describe; return the exit status."""
    from ..persistence import save_model

    table, y = load_labelled(args.data)
    log = logger(args)
    log(f"Training {display_name(args.model)} on {len(y)} particles from {args.data}")
    args.probability = True
    model = build_model(args.model, args).fit(table, y)
    save_model(model, args.out)
    print(f"Model written to {args.out}")
    return 0
