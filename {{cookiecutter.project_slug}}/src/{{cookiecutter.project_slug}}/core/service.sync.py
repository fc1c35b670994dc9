{# Generated from service.async.py by scripts/generate_sync.py: edit that file, then run the script. -#}
"""The five verbs of a resource over its repository. Services flush, never commit."""

from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy.orm import Session

from {{ cookiecutter.project_slug }}.core.errors import NotFound
from {{ cookiecutter.project_slug }}.core.pagination import PageQuery, PageResult
from {{ cookiecutter.project_slug }}.core.repository import ModelT, Repository

CreateT = TypeVar("CreateT", bound=BaseModel)
UpdateT = TypeVar("UpdateT", bound=BaseModel)


class CrudService(Generic[ModelT, CreateT, UpdateT]):
    """get, list, create, update and delete; a missing row is NotFound (404).

    Subclasses name their repository and add the resource's own rules as methods.
    """

    repository_class: ClassVar[type[Repository[Any]]]

    def __init__(self, session: Session) -> None:
        self.repository: Repository[ModelT] = self.repository_class(session)

    def get(self, id_: int) -> ModelT:
        row = self.repository.get(id_)
        if row is None:
            name = self.repository.model.__tablename__
            raise NotFound(f"There is no {name} with id {id_}.", details={"id": id_})
        return row

    def list(self, query: PageQuery) -> PageResult[ModelT]:
        return self.repository.list(query)

    def create(self, data: CreateT) -> ModelT:
        return self.repository.add(self.repository.model(**data.model_dump()))

    def update(self, id_: int, data: UpdateT) -> ModelT:
        """Change only the fields the caller sent."""
        row = self.get(id_)
        for name, value in data.model_dump(exclude_unset=True).items():
            setattr(row, name, value)
        self.repository.flush()
        return row

    def delete(self, id_: int) -> None:
        self.repository.delete(self.get(id_))
