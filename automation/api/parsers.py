"""The API reads JSON only (DEFAULT_PARSER_CLASSES), and reads it defensively."""
from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, except that JSON nested deeper than the interpreter's recursion
    limit (`[[[[…]]]]`) is a 400: DRF catches only ValueError, so the RecursionError it
    raises would be a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - the document is nested too deeply.") from None
