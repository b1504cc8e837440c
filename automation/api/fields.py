"""Input-side helpers shared by every endpoint that accepts a generation request."""
from rest_framework import serializers


class VocabularyField(serializers.ChoiceField):
    """A choice from a fixed vocabulary; an unknown value is answered with the allowed ones,
    never silently replaced by a default."""

    def __init__(self, choices, **kwargs):
        super().__init__(choices=choices, **kwargs)
        allowed = ", ".join(str(choice) for choice in self.choices)
        self.error_messages["invalid_choice"] = f'"{{input}}" is not a valid choice. Allowed values: {allowed}.'

    def __deepcopy__(self, memo):
        # DRF copies every declared field for every serializer instance, arguments
        # included: a vocabulary of dozens of words was copied word by word on each request.
        # It is never changed, so the copy shares it.
        return type(self)(*self._args, **self._kwargs)


class AliasedInputMixin:
    """Accepts the original TypeScript client's camelCase names (`numLines`) as aliases of
    the snake_case fields, so its payloads work verbatim."""

    input_aliases: dict[str, str] = {}

    def to_internal_value(self, data):
        if isinstance(data, dict) and self.input_aliases:
            data = dict(data)
            for alias, name in self.input_aliases.items():
                if alias in data:
                    if name in data:
                        raise serializers.ValidationError({alias: [f"Give either {alias} or {name}, not both."]})
                    data[name] = data.pop(alias)
        return super().to_internal_value(data)


class StrictFieldsMixin:
    """Rejects unknown fields with a 400 instead of ignoring them, so a typo in an optional
    field (`moood`) is reported rather than silently producing a default."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            aliases = getattr(self, "input_aliases", {})
            unknown = sorted(set(data) - set(self.fields) - set(aliases))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


class JobOptionsMixin(serializers.Serializer):
    """Options every generation request may carry."""

    max_retries = serializers.IntegerField(
        required=False, min_value=0, max_value=10, help_text="Automatic retries on transient errors (default 3)."
    )
