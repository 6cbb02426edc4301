"""Input modes: with surrounding, cropped, cropped and masked (thesis 8.5).

LipNet-4, oversampled and augmented, fed the three input modes of
``ParticlePreprocessor``; reports the fold-average F1 of every class
(figures 20 and 21).

    python -m benchmarks.bench_input_modes [--data DIR] [--device cuda]
"""

from sklearn_lipnet import make_lipnet_pipeline
from sklearn_lipnet.experiments import THESIS_TRAINING

from ._experiments import parser, run_experiment

MODES = {"surrounding": "Surrounding", "cropped": "Cropped", "masked": "Masked"}


def main():
    args = parser(__doc__.splitlines()[0]).parse_args()

    def models(problem):
        return {
            label: make_lipnet_pipeline(
                "lipnet4",
                mode=mode,
                **THESIS_TRAINING,  # the thesis's experiment, its training
                max_epochs=args.epochs,
                device=args.device,
                random_state=args.seed,
            )
            for mode, label in MODES.items()
        }

    run_experiment(
        "bench_input_modes",
        "Input modes, LipNet-4",
        models,
        args,
        measure="f1",
        figure="figures 20 and 21 (section 8.5)",
    )


if __name__ == "__main__":
    main()
