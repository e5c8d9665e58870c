"""Building blocks shared by every section of the scenario schema.

Every model is frozen and strict: unknown keys are errors (a typo must never be silently
ignored), no string is coerced to a number, and NaN or infinity is never a number. Frozen
goes all the way down: lists are stored as tuples and mappings as `FrozenDict`, so nothing
inside a scenario can be changed in place, and a scenario is hashable.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any, NoReturn, Self

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

SHARE_TOLERANCE = 1e-6


class FrozenDict(dict):
    """A dict that cannot be changed in place, and so can be hashed.

    A `dict` subclass, so reading code, pydantic's serialiser (`model_dump` gives plain dicts)
    and `json` treat it as a dict. Order is part of its value, as for `OrderedDict`: two
    frozen dicts are equal only with the same items in the same order (hub stages and
    priority classes are in a meaningful order); against a plain dict, order is ignored.
    """

    __slots__ = ()

    def _refuse(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError(
            "a scenario cannot be changed in place; build a changed copy with "
            "sim.variant(scenario, {'dotted.path': value})"
        )

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrozenDict):
            return dict.__eq__(self, other) and list(self) == list(other)
        return dict.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return hash(tuple(self.items()))

    def __reduce__(self) -> tuple[type[FrozenDict], tuple[dict]]:
        # Pickle (for worker processes) and deepcopy rebuild it whole: item by item would
        # go through the refused __setitem__.
        return (type(self), (dict(self),))


Frozen = AfterValidator(FrozenDict)
"""Marks a `dict[...]` field to be stored as a `FrozenDict` (put it last in `Annotated`, after
any `Field` constraints, so the JSON Schema is a plain object's)."""


class Section(BaseModel):
    """Base of all scenario models: frozen, strict, no unknown keys, finite numbers only."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        strict=True,
        allow_inf_nan=False,
        use_attribute_docstrings=True,
        validate_default=True,  # defaults are frozen like given values (a default {} too)
    )

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy; `update` is refused, since pydantic would apply it without validation.

        Raises
        ------
        TypeError
            When `update` is given: use `sim.variant(scenario, {"dotted.path": value})`,
            which validates the whole changed scenario.
        """
        if update:
            raise TypeError(
                f"{type(self).__name__}.model_copy(update=...) would skip validation; build "
                "a changed scenario with sim.variant(scenario, {'dotted.path': value})"
            )
        return super().model_copy(deep=deep)


def _list_as_tuple(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value


AsTuple = BeforeValidator(_list_as_tuple)
"""Lists from YAML become the tuples a frozen model stores (strict mode takes no lists)."""

# YAML gives unquoted ISO dates as `date` objects; quoted ones ("2021-02-01") are accepted too.
Date = Annotated[date, Field(strict=False)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]
Days = Annotated[float, Field(ge=0.0)]
PositiveDays = Annotated[float, Field(gt=0.0)]
Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]


def sums_to_one(shares: dict[str, float]) -> dict[str, float]:
    """Check that shares sum to 1 (within rounding); the message lists them."""
    total = math.fsum(shares.values())
    if shares and abs(total - 1.0) > SHARE_TOLERANCE:
        parts = " + ".join(f"{key} {value:g}" for key, value in shares.items())
        raise ValueError(f"shares must sum to 1, found {parts} = {total:g}")
    if not shares:
        raise ValueError("at least one share is needed, found an empty mapping")
    return shares


Shares = Annotated[dict[Name, Share], AfterValidator(sums_to_one), Frozen]
"""A mapping of names to shares that sum to 1."""
