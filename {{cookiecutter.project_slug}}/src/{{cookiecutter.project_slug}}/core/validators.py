"""Field rules shared by the schemas of several resources."""


def refuse_null(value: object) -> object:
    """For PATCH bodies: a field may be left out, but not sent as null.

    Use as `_not_null = field_validator("name")(refuse_null)`; pydantic runs it only for fields sent.
    """
    if value is None:
        msg = "may be left out but not null"
        raise ValueError(msg)
    return value
