"""Helpers shared by the components: argument validation (pure Python, no host package)."""
from .validation import (check_choice, check_int, check_non_negative_int, check_number,
                         check_positive_int, check_probability)

__all__ = [
    'check_choice', 'check_int', 'check_non_negative_int', 'check_number', 'check_positive_int',
    'check_probability'
]
