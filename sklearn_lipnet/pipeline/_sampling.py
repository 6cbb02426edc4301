"""How the pipelines counter class imbalance: samplers and the named strategies."""

import numbers
from dataclasses import dataclass

import numpy as np
from imblearn.base import SamplerMixin
from imblearn.over_sampling import SMOTE, RandomOverSampler
from sklearn.base import clone

__all__ = ["SAMPLING_STRATEGIES", "CheckedSMOTE", "SamplingStrategy", "make_sampler"]


class CheckedSMOTE(SMOTE):
    """imbalanced-learn's SMOTE, refusing too-small classes in plain words.

    SMOTE interpolates between a particle and its ``k_neighbors`` nearest
    particles of the same class, so every class it oversamples needs more
    than ``k_neighbors`` training particles. imbalanced-learn reports a
    shortfall from deep inside the neighbour search; this says which class is
    short and what to do.
    """

    def _fit_resample(self, X, y):
        k = self.k_neighbors if isinstance(self.k_neighbors, numbers.Integral) else None
        if k is not None:
            labels, counts = np.unique(y, return_counts=True)
            short = [
                f"'{label}' ({count})"
                for label, count in zip(labels, counts)
                if count <= k and count < counts.max()
            ]
            if short:
                raise ValueError(
                    f"SMOTE with k_neighbors={k} needs more than {k} training "
                    f"particles in every minority class; class {', '.join(short)} "
                    "has fewer. Use sampler='oversample', fewer folds, or "
                    "SMOTE(k_neighbors=...) with a smaller k."
                )
        return super()._fit_resample(X, y)


#: Samplers the pipeline factories accept by name.
SAMPLERS = {"oversample": RandomOverSampler, "smote": CheckedSMOTE}


def make_sampler(sampler, random_state):
    """The sampler a pipeline factory's ``sampler`` parameter names.

    Parameters
    ----------
    sampler : None, "oversample", "smote" or imbalanced-learn sampler
        ``None``: no sampler; a name from :data:`SAMPLERS`; a sampler
        (cloned).
    random_state : int, RandomState instance or None
        Seeds a sampler made from a name.

    Returns
    -------
    sampler : imbalanced-learn sampler or None

    Examples
    --------
    >>> from sklearn_lipnet.pipeline import make_sampler
    >>> make_sampler("smote", random_state=0)
    CheckedSMOTE(random_state=0)
    """
    if sampler is None:
        return None
    if isinstance(sampler, str):
        if sampler not in SAMPLERS:
            raise ValueError(
                f"sampler must be None, 'oversample', 'smote' or an "
                f"imbalanced-learn sampler, got {sampler!r}."
            )
        return SAMPLERS[sampler](random_state=random_state)
    if isinstance(sampler, SamplerMixin) or hasattr(sampler, "fit_resample"):
        return clone(sampler)
    raise ValueError(
        "sampler must be None, 'oversample', 'smote' or an imbalanced-learn "
        f"sampler, got {sampler!r}."
    )


@dataclass(frozen=True)
class SamplingStrategy:
    """What one named imbalance strategy means for each kind of model.

    Attributes
    ----------
    balance : str or None
        ``LipNetClassifier(balance=...)``: per-epoch rebalancing.
    lipnet_sampler : str or None
        Sampler between the preprocessor and the network.
    svm_sampler : str or None
        Sampler between the scaler and the SVC.
    """

    balance: str | None
    lipnet_sampler: str | None
    svm_sampler: str | None


#: The strategies ``lipnet --sampling`` offers. ``"thesis"``: the networks
#: oversample every epoch, the SVM relies on its class weights (section 8.4).
SAMPLING_STRATEGIES = {
    "thesis": SamplingStrategy("oversample", None, None),
    "none": SamplingStrategy(None, None, None),
    "oversample": SamplingStrategy("oversample", None, "oversample"),
    "undersample": SamplingStrategy("undersample", None, None),
    "class_weight": SamplingStrategy("class_weight", None, None),
    "smote": SamplingStrategy(None, "smote", "smote"),
}
