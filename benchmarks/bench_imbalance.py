"""Imbalance strategies (thesis section 4.8) for LipNet-4 and the SVM.

LipNet-4 with no rebalancing, per-epoch oversampling, per-epoch
undersampling (20 % of the majority left out) and a class-weighted loss; the
SVM with class weights alone (the thesis), plus random oversampling and SMOTE
on the features. Reports the fold-average TPR of every class: what the rare
classes gain, and what the majority pays.

    python -m benchmarks.bench_imbalance [--data DIR] [--device cuda]
"""

from sklearn_lipnet import make_lipnet_pipeline, make_svm_pipeline
from sklearn_lipnet.experiments import THESIS_TRAINING

from ._experiments import parser, run_experiment

BALANCES = {
    "none": None,
    "oversample": "oversample",
    "undersample": "undersample",
    "class weight": "class_weight",
}


def main():
    args = parser(__doc__.splitlines()[0]).parse_args()

    def models(problem):
        models = {
            f"LipNet-4, {label}": make_lipnet_pipeline(
                "lipnet4",
                **THESIS_TRAINING,  # the thesis's experiment, its training
                balance=balance,
                max_epochs=args.epochs,
                device=args.device,
                random_state=args.seed,
            )
            for label, balance in BALANCES.items()
        }
        for label, sampler in [
            ("class weight", None),
            ("oversample", "oversample"),
            ("SMOTE", "smote"),
        ]:
            models[f"SVM, {label}"] = make_svm_pipeline(
                sampler=sampler, random_state=args.seed
            )
        return models

    run_experiment(
        "bench_imbalance",
        "Imbalance strategies, LipNet-4 and SVM",
        models,
        args,
        measure="tpr",
        figure="section 4.8 (oversampling, undersampling, SMOTE, class weights)",
    )


if __name__ == "__main__":
    main()
