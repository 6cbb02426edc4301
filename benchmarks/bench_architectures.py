"""The five LipNet networks (thesis section 8.3, figures 18 and 19).

LipNet-1, -2, -4, -4c and -6 on the same folds, oversampled and augmented,
masked input; reports the fold-average F1 of every class.

    python -m benchmarks.bench_architectures [--data DIR] [--device cuda]
"""

from sklearn_lipnet import make_lipnet_pipeline
from sklearn_lipnet.experiments import THESIS_TRAINING

from ._experiments import parser, run_experiment

ARCHITECTURES = ["lipnet1", "lipnet2", "lipnet4", "lipnet4c", "lipnet6"]


def main():
    args = parser(__doc__.splitlines()[0]).parse_args()

    def models(problem):
        return {
            f"LipNet-{name[6:]}": make_lipnet_pipeline(
                name,
                **THESIS_TRAINING,  # the thesis's experiment, its training
                max_epochs=args.epochs,
                device=args.device,
                random_state=args.seed,
            )
            for name in ARCHITECTURES
        }

    run_experiment(
        "bench_architectures",
        "The five LipNet networks",
        models,
        args,
        measure="f1",
        figure="figures 18 and 19 (section 8.3)",
    )


if __name__ == "__main__":
    main()
