"""Argument checks shared by the components: each error names the argument, the value it got and
what is allowed.

Pure Python (no torch, numpy or host package), so that the host-free modules can use it. Integers
are ``numbers.Integral`` (Python and NumPy integers), never ``bool``; numbers are
``numbers.Real``, never ``bool``.
"""
import math
from numbers import Integral, Real
from typing import Any, Iterable, Optional

__all__ = [
    'check_choice', 'check_int', 'check_non_negative_int', 'check_number', 'check_positive_int',
    'check_probability'
]


def _or_none(allow_none: bool) -> str:
    return ' or None' if allow_none else ''


def _int_kind(minimum: Optional[int]) -> str:
    if minimum is None:
        return 'an int'
    return {0: 'a non-negative int', 1: 'a positive int'}.get(minimum, f'an int >= {minimum}')


def check_int(name: str,
              value: Any,
              minimum: Optional[int] = None,
              allow_none: bool = False) -> Optional[int]:
    """Check that ``value`` is an integer, at least ``minimum`` when given.

    Args:
        name: The argument's name, as the caller spells it.
        value: The value to check.
        minimum: The smallest value allowed. ``None``: any integer.
        allow_none: Whether ``None`` is allowed.

    Returns:
        ``value`` as a Python ``int`` (``None`` when allowed and given).

    Raises:
        ValueError: If ``value`` is not an integer (``bool`` included) or is below ``minimum``.
    """
    if value is None and allow_none:
        return None
    valid = not isinstance(value, bool) and isinstance(value, Integral)
    if valid and minimum is not None:
        valid = value >= minimum
    if not valid:
        raise ValueError(f'{name} must be {_int_kind(minimum)}{_or_none(allow_none)}, '
                         f'got {value!r}')
    return int(value)


def check_positive_int(name: str, value: Any, allow_none: bool = False) -> Optional[int]:
    """Check that ``value`` is an integer >= 1 (see :func:`check_int`)."""
    return check_int(name, value, 1, allow_none)


def check_non_negative_int(name: str, value: Any, allow_none: bool = False) -> Optional[int]:
    """Check that ``value`` is an integer >= 0 (see :func:`check_int`)."""
    return check_int(name, value, 0, allow_none)


def check_number(name: str,
                 value: Any,
                 minimum: Optional[float] = None,
                 maximum: Optional[float] = None,
                 include_maximum: bool = True,
                 include_minimum: bool = True) -> float:
    """Check that ``value`` is a finite real number in ``[minimum, maximum]``, or the open
    variants the two ``include_*`` flags select.

    Args:
        name: The argument's name, as the caller spells it.
        value: The value to check.
        minimum: The smallest value allowed. ``None``: no lower bound.
        maximum: The largest value allowed. ``None``: no upper bound.
        include_maximum: ``False``: the range is ``[minimum, maximum)``.
        include_minimum: ``False``: the range is ``(minimum, maximum]``.

    Returns:
        ``value`` as a Python ``float``.

    Raises:
        ValueError: If ``value`` is not a real number (``bool`` included), is NaN or infinite, or
            lies outside the range.
    """
    ok = not isinstance(value, bool) and isinstance(value, Real) and math.isfinite(value)
    if ok and minimum is not None:
        ok = value >= minimum if include_minimum else value > minimum
    if ok and maximum is not None:
        ok = value <= maximum if include_maximum else value < maximum
    if not ok:
        if minimum is not None and maximum is not None:
            wanted = (f'in {"[" if include_minimum else "("}{minimum}, '
                      f'{maximum}{"]" if include_maximum else ")"}')
        elif minimum is not None:
            wanted = f'{">=" if include_minimum else ">"} {minimum}'
        elif maximum is not None:
            wanted = f'{"<=" if include_maximum else "<"} {maximum}'
        else:
            wanted = ''
        raise ValueError(f'{name} must be a finite number{" " + wanted if wanted else ""}, '
                         f'got {value!r}')
    return float(value)


def check_probability(name: str, value: Any) -> float:
    """Check that ``value`` is a real number in ``[0, 1]`` (see :func:`check_number`)."""
    return check_number(name, value, 0, 1)


def check_choice(name: str, value: Any, choices: Iterable) -> Any:
    """Check that ``value`` is one of ``choices``.

    Args:
        name: The argument's name, as the caller spells it.
        value: The value to check.
        choices: The allowed values, listed in this order in the message.

    Returns:
        ``value``, unchanged.

    Raises:
        ValueError: If ``value`` is not in ``choices``.
    """
    choices = tuple(choices)
    if value not in choices:
        listed = ', '.join(repr(choice) for choice in choices)
        raise ValueError(f'{name} must be one of {listed}; got {value!r}')
    return value
