"""A pipeline's per-particle first step, computed once for every fold.

A pipeline cross-validated as a whole runs its first step on every particle
once per fold: five times in 5-fold cross-validation. Where that step
describes each particle on its own (:class:`~sklearn_lipnet.ParticleFeatures`
computes a particle's features, :class:`~sklearn_lipnet.ParticlePreprocessor`
prepares its image, from that particle alone) and ``fit`` leaves it in the
same state in every fold (the same columns, the same input mode), running it
once on all particles and cross-validating the steps after it on the result
gives the same folds, models and predictions at a fraction of the cost: the
later steps are still fitted on each fold's training rows only.

``python -m benchmarks.bench_svm_folds`` measures it for the feature SVM
(``benchmarks/results/svm_folds_cpu.md``; on the 2-core machine, 4,000
particles: 16.5 s fold by fold, 4.3 s so, identical fold matrices).
"""

from sklearn.base import clone
from sklearn.utils import _safe_indexing

from ..features import ParticleFeatures
from ..preprocessing import ParticlePreprocessor

__all__ = ["SharedFirstStep", "shared_first_step"]

#: The first steps that work particle by particle, and what ``fit`` decides
#: about them: equal in every fold means the step's output is the same.
_FITTED_STATE = {
    ParticleFeatures: lambda step: step._fitted_spec(),
    ParticlePreprocessor: lambda step: (step.mode_, step.canvas_nm_),
}


class SharedFirstStep:
    """A pipeline's first step, fitted once, and the steps after it.

    Attributes
    ----------
    pipeline : Pipeline
        The whole pipeline, unfitted.
    step : ParticleFeatures or ParticlePreprocessor
        The first step, fitted: it is in this state in every fold.
    rest : Pipeline
        The steps after it, unfitted.
    """

    def __init__(self, pipeline, step):
        self.pipeline = pipeline
        self.step = step
        self.rest = pipeline[1:]

    def full_model(self, fitted_rest):
        """The whole pipeline, fitted: the shared step, then ``fitted_rest``."""
        model = clone(self.pipeline)
        model.steps = [(self.pipeline.steps[0][0], self.step), *fitted_rest.steps]
        return model


def shared_first_step(estimator, X, splits):
    """The first step to run once for all folds, if the folds allow it.

    Parameters
    ----------
    estimator : estimator
        A pipeline whose first step is a
        :class:`~sklearn_lipnet.ParticleFeatures` or a
        :class:`~sklearn_lipnet.ParticlePreprocessor` (anything else: None).
    X : particle table
        All particles.
    splits : list of (train, test) index arrays

    Returns
    -------
    shared : SharedFirstStep or None
        None where the estimator is no such pipeline or where ``fit`` on the
        folds' training particles leaves the step in different states
        (``features="auto"`` or ``mode="auto"`` with expert masks in some
        folds' training particles only; a fixed-scale canvas sized to each
        fold's largest particle); the whole pipeline must then be
        cross-validated as it is.
    """
    steps = getattr(estimator, "steps", None)
    if not steps or len(steps) < 2:
        return None
    first = steps[0][1]
    fitted_state = _FITTED_STATE.get(type(first))
    if fitted_state is None:
        return None
    if isinstance(first, ParticlePreprocessor) and (
        first.scale == "fixed" and first.canvas_nm is None
    ):
        # The canvas is each fold's largest particle: not worth fitting (and
        # segmenting) every fold to find out that the folds differ.
        return None
    fitted = [clone(first).fit(_safe_indexing(X, train)) for train, _ in splits]
    states = [fitted_state(step) for step in fitted]
    if any(state != states[0] for state in states[1:]):
        return None
    return SharedFirstStep(estimator, fitted[-1])
