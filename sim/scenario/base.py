"""Building blocks shared by every section of the scenario schema.

Every model is frozen and strict: unknown keys are errors (a typo must never be silently
ignored), no string is coerced to a number, and NaN or infinity is never a number.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

SHARE_TOLERANCE = 1e-6


class Section(BaseModel):
    """Base of all scenario models: frozen, strict, no unknown keys, finite numbers only."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        strict=True,
        allow_inf_nan=False,
        use_attribute_docstrings=True,
    )


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


Shares = Annotated[dict[Name, Share], AfterValidator(sums_to_one)]
"""A mapping of names to shares that sum to 1."""
