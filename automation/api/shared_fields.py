"""Serializer fields built once per class instead of once per request.

DRF gives every serializer instance its own fields: each declared field is made again from
its arguments (a deepcopy), nested serializers and their fields with it, and a
ModelSerializer first derives its fields from the model. On a generate request that is
about forty fields made, bound and thrown away: a sixth of the request.

Most fields keep no state between calls: validating or representing a value reads only the
field's own settings. Those are made once per class, bound to a template instance of the
serializer, and shared by every instance in every thread. What does read per-request state
(the request in the context, the parent's instance, a partial update) is not shared:

- `per_request_fields` names the fields each instance gets its own copy of (a hyperlink
  reads the request), made as DRF makes them;
- a partial serializer (PATCH) builds all its fields the usual way;
- any other field that could read the request (related, hidden and method fields, a
  validator or default that `requires_context`) is refused when the template is built, and
  a shared field or nested serializer that reads its context anyway gets an error that
  says so instead of an empty context.

The serializer's own methods (`validate`, `validate_<field>`) still run on the instance
with its context: only the fields are shared.
"""
import copy
import threading

from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import cached_property
from rest_framework import relations, serializers
from rest_framework.utils.serializer_helpers import BindingDict

_build_lock = threading.Lock()

NEEDS_REQUEST = (
    relations.RelatedField,
    relations.ManyRelatedField,
    serializers.HiddenField,
    serializers.SerializerMethodField,
)


class SharedContextError(ImproperlyConfigured):
    pass


class NoContext(dict):
    """The template's context: reading it is a bug (a shared field would see no request)."""

    def _refuse(self, *args, **kwargs):
        raise SharedContextError(
            "A field shared between requests (automation.api.shared_fields) read the serializer "
            "context. List it in per_request_fields, or do not share the serializer's fields."
        )

    __getitem__ = get = __contains__ = __iter__ = keys = items = values = _refuse


class SharedFields:
    """Mixin for a Serializer whose fields are built once per class (see the module)."""

    per_request_fields: tuple[str, ...] = ()

    @cached_property
    def fields(self):
        if getattr(self, "partial", False):
            return bound_fields(self)
        shared = shared_template(type(self)).fields
        fields = BindingDict(self)
        for name, field in shared.items():
            if name in self.per_request_fields:
                fields[name] = copy.deepcopy(field)  # an unbound copy, bound to this instance
            else:
                fields.fields[name] = field  # stays bound to the template
        return fields


def bound_fields(serializer) -> BindingDict:
    """What DRF's Serializer.fields builds: the serializer's own fields, bound to it."""
    fields = BindingDict(serializer)
    for name, field in serializer.get_fields().items():
        fields[name] = field
    return fields


def shared_template(cls):
    template = cls.__dict__.get("_shared_template")
    if template is not None:
        return template
    with _build_lock:
        template = cls.__dict__.get("_shared_template")
        if template is None:
            template = cls(context=NoContext())
            template.__dict__["fields"] = bound_fields(template)
            for name, field in template.fields.items():
                if name not in cls.per_request_fields:
                    _check_and_prepare(field, f"{cls.__name__}.{name}")
            cls._shared_template = template
    return template


def _check_and_prepare(field, path: str) -> None:
    """Refuse a field that reads per-request state; build everything lazy now, under the
    lock, so no request mutates a shared field."""
    if isinstance(field, NEEDS_REQUEST):
        raise ImproperlyConfigured(f"{path} reads the request: list it in per_request_fields.")
    needs_context = [v for v in field.validators if getattr(v, "requires_context", False)]
    if needs_context or getattr(field.default, "requires_context", False):
        raise ImproperlyConfigured(f"{path} has a validator or default that needs the context.")
    if getattr(field, "child", None) is not None:  # ListSerializer, ListField, DictField
        _check_and_prepare(field.child, f"{path}[]")
    elif isinstance(field, serializers.Serializer):
        for name, child in field.fields.items():
            _check_and_prepare(child, f"{path}.{name}")
