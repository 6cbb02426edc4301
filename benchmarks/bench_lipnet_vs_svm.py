"""LipNet-4 against the feature SVM (thesis section 9, figure 22, tables 7-10).

The comparison of the main job (``lipnet benchmark``), as a script: LipNet-4
(masked input, oversampled, augmented) and the thesis's SVM (class-weighted,
not resampled) on the same stratified folds. Reports the F1 of every class
here; ``lipnet benchmark`` writes the full report with all measures and
confusion matrices next to the thesis's tables.

    python -m benchmarks.bench_lipnet_vs_svm [--data DIR] [--device cuda]
"""

from sklearn_lipnet import make_lipnet_pipeline, make_svm_pipeline
from sklearn_lipnet.experiments import THESIS_TRAINING

from ._experiments import parser, run_experiment


def main():
    args = parser(__doc__.splitlines()[0]).parse_args()

    def models(problem):
        return {
            "LipNet-4": make_lipnet_pipeline(
                "lipnet4",
                **THESIS_TRAINING,  # the thesis's experiment, its training
                max_epochs=args.epochs,
                device=args.device,
                random_state=args.seed,
            ),
            "SVM": make_svm_pipeline(random_state=args.seed),
        }

    run_experiment(
        "bench_lipnet_vs_svm",
        "LipNet-4 against the feature SVM",
        models,
        args,
        measure="f1",
        figure="figure 22 and tables 7-10 (section 9)",
    )


if __name__ == "__main__":
    main()
