"""Model fields more than one app declares the same way."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


def coordinate_field(limit: int) -> models.DecimalField:
    """An optional WGS 84 coordinate in degrees, to the micro-degree (about 11 cm): 90 for a
    latitude, 180 for a longitude."""
    return models.DecimalField(
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-limit), MaxValueValidator(limit)],
    )


def latitude_field() -> models.DecimalField:
    return coordinate_field(90)


def longitude_field() -> models.DecimalField:
    return coordinate_field(180)
