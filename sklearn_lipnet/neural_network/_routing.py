"""skorch's dunder parameters on a scikit-learn estimator.

skorch routes ``module__dense_units=256`` to the module's constructor and
``optimizer__weight_decay=1e-4`` to the optimizer. scikit-learn's
``get_params`` / ``set_params`` know only the constructor's named arguments,
and would read ``module__dense_units`` as "parameter ``dense_units`` of the
sub-estimator ``module``". This mixin stores such parameters as attributes,
reports them in ``get_params`` (so ``clone``, pipelines and grid searches carry
them) and checks them in ``fit``, like every other parameter.
"""

__all__ = ["ROUTED_PREFIXES", "RoutedParamsMixin"]

#: Prefixes routed to the skorch net.
ROUTED_PREFIXES = (
    "module__",
    "optimizer__",
    "criterion__",
    "iterator_train__",
    "iterator_valid__",
    "callbacks__",
)


class RoutedParamsMixin:
    """Keeps ``**kwargs`` of ``__init__`` as routed parameters.

    The estimator's ``__init__`` ends with ``self._store_routed(kwargs)``.
    Whatever arrives there is stored unchecked (scikit-learn's rule: no
    validation in ``__init__`` or ``set_params``) and checked by
    :meth:`_routed_params` in ``fit``.
    """

    def _store_routed(self, kwargs):
        self._routed_names = tuple(kwargs)
        for name, value in kwargs.items():
            setattr(self, name, value)

    def get_params(self, deep=True):
        params = super().get_params(deep=deep)
        params.update({name: getattr(self, name) for name in self._routed_names})
        return params

    def set_params(self, **params):
        routed = {
            name: value
            for name, value in params.items()
            if name.startswith(ROUTED_PREFIXES) or name in self._routed_names
        }
        for name, value in routed.items():
            setattr(self, name, value)
            if name not in self._routed_names:
                self._routed_names += (name,)
        rest = {name: value for name, value in params.items() if name not in routed}
        if rest:
            super().set_params(**rest)
        return self

    def _routed_params(self):
        """The routed parameters, checked: ``{name: value}``."""
        params = {name: getattr(self, name) for name in self._routed_names}
        unknown = [name for name in params if not name.startswith(ROUTED_PREFIXES)]
        if unknown:
            raise ValueError(
                f"Unknown parameter(s) {unknown} for {type(self).__name__}. "
                "Routed parameters must start with one of "
                f"{', '.join(ROUTED_PREFIXES)}."
            )
        return params
