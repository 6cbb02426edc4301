"""Warm starts: a LipNetClassifier's training begun from a saved network.

Pre-training on many synthetic particles and fine-tuning on a few labelled
real ones (``LipNetClassifier(warm_start_from=MODEL_FILE)``): the model file
is read with :func:`~sklearn_lipnet.load_model` (no code runs), the network
it holds is checked against the one about to be trained, and its weights are
copied in before training starts; the last layer starts afresh when the
classes differ.
"""

import os

import numpy as np
import torch

__all__ = ["check_pretrained", "load_pretrained", "pretrained_classifier"]


def _output_layer_keys(state_dict):
    """Keys of the last layer with parameters: the one that scores the classes."""
    last_layer = list(state_dict)[-1].rsplit(".", 1)[0]
    return [key for key in state_dict if key.rsplit(".", 1)[0] == last_layer]


def pretrained_classifier(path, classifier_class):
    """The fitted ``classifier_class`` in the model file at ``path``.

    The file holds the classifier itself or a pipeline that ends in it.
    """
    from ..persistence import load_model  # persistence sits on top of us

    path = os.fspath(path)
    try:
        model = load_model(path)
    except FileNotFoundError:
        raise ValueError(f"warm_start_from={path!r}: no such model file.") from None
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    if not isinstance(final, classifier_class) or not hasattr(final, "net_"):
        raise ValueError(
            f"warm_start_from={path!r} holds a {type(final).__name__}, not a "
            f"fitted {classifier_class.__name__} (or a pipeline ending in one)."
        )
    return final


def check_pretrained(path, source, module, module_kwargs, built_as):
    """Refuse a pre-trained network whose layers cannot be reused.

    ``module(**module_kwargs)`` is the network about to be trained;
    ``built_as`` says how the classifier chose it (for the message).
    """
    path = os.fspath(path)
    theirs = source.net_.module_
    if type(theirs) is not module:
        raise ValueError(
            f"warm_start_from={path!r} holds a {type(theirs).__name__} network, "
            f"but this classifier builds a {module.__name__} ({built_as}); "
            "pre-train and fine-tune the same architecture."
        )
    # A throwaway copy of the network to be trained gives its layer shapes
    # before anything of this fit is built.
    with torch.random.fork_rng(devices=[]):
        ours = module(**module_kwargs).state_dict()
    their_state = theirs.state_dict()
    output = set(_output_layer_keys(ours))
    for key in ours:
        if key in output:
            continue
        here = tuple(ours[key].shape)
        there = tuple(their_state[key].shape) if key in their_state else None
        if here != there:
            raise ValueError(
                f"warm_start_from={path!r} holds a network whose layer {key!r} "
                f"has shape {there} where this one needs {here}: build the "
                "same network (input size, channels, module__* settings) "
                "to reuse its weights."
            )
    if set(their_state) != set(ours):
        raise ValueError(
            f"warm_start_from={path!r} holds a network with other layers "
            f"({sorted(set(their_state) ^ set(ours))[:4]} differ); build the "
            "same network (e.g. module__batch_norm) to reuse its weights."
        )


def load_pretrained(source, module, classes):
    """Copy ``source``'s weights into ``module`` (the last layer's only when
    ``classes`` are the pre-trained classifier's)."""
    theirs = source.net_.module_.state_dict()
    ours = module.state_dict()
    same_classes = len(source.classes_) == len(classes) and bool(
        np.all(source.classes_ == classes)
    )
    keep = dict(theirs)
    if not same_classes:
        for key in _output_layer_keys(ours):
            del keep[key]
    module.load_state_dict({**ours, **keep})
