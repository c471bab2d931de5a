"""The Jinja environment a Word template's tags run in: a sandbox whose work is bounded.

A template comes by email from anyone, so its tags are untrusted code. They run in Jinja's
immutable sandbox, which keeps them from Python's internals (names starting with an underscore)
and from changing boardpack's values. On top of it a template may use only the filters and text
methods that place values, may not read other files (include, import, extends), and may not turn
escaping off. Its work is bounded: the numbers in a range, the loop turns, calls and operations,
the size of any value a tag makes, the size of what it writes and the seconds it takes. Whatever
goes over a bound is stopped at once with a `Refused` error naming the tag's line.
"""

from __future__ import annotations

import contextlib
import functools
import re
import time
import types
import typing
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError, TemplateRuntimeError, TemplateSyntaxError
from jinja2.runtime import LoopContext, Macro, markup_join
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer
from markupsafe import Markup, soft_str

MAX_RANGE = 10_000  # numbers in one range(); a paper counts sections and risks, not millions
MAX_WORK = 1_000_000  # loop turns, calls, filters and operators in one document's render
MAX_VALUE = 1_000_000  # characters in a string, or items in a list, that one tag makes
MAX_OUTPUT = 64 * 1024 * 1024  # characters one document's tags write; 4,000 risks write 5 MB
MAX_SECONDS = 20.0  # spent running one document's tags; a 4,000-risk paper needs under one
MAX_INT_BITS = 4096  # the size of a number a tag may make by multiplying or raising to a power

# What a template may do with the values boardpack gives it, all of them text, numbers, lists
# and dicts: filters that place or pick values (not `safe`, which would let a tag write Word's
# markup, nor `random`, which would make papers differ, nor those that print Python's view).
_FILTERS = frozenset(
    "abs attr batch capitalize center count d default dictsort e escape filesizeformat first"
    " float forceescape format groupby indent int items join last length list lower map max min"
    " reject rejectattr replace reverse round select selectattr slice sort string striptags sum"
    " title trim truncate unique upper urlencode wordcount wordwrap".split()
)
_TEXT_METHODS = frozenset(
    "capitalize casefold count endswith find index isalnum isalpha isdecimal isdigit islower"
    " isnumeric isspace istitle isupper lower lstrip partition removeprefix removesuffix rfind"
    " rindex rpartition rsplit rstrip split splitlines startswith strip swapcase title"
    " upper".split()
)
_METHODS: tuple[tuple[type, frozenset[str]], ...] = (
    (str, _TEXT_METHODS),
    (dict, frozenset({"get", "items", "keys", "values"})),
    (list, frozenset({"count", "index"})),
    (tuple, frozenset({"count", "index"})),
    (LoopContext, frozenset({"cycle", "changed"})),
)
_DATA = (str, int, float, Decimal, list, tuple, dict, LoopContext)  # whose attributes are read
_PRINTABLE = (str, int, float, Decimal, type(None))
_PERCENT_WIDTH = re.compile(r"%[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")  # a printf-style field


class Refused(SecurityError):
    """A tag that does what no template may, or more work than any paper needs."""

    def __init__(self, reason: str, word: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.word = word  # the name in the tag that was refused, when there is one


class RefusedTag(TemplateSyntaxError):
    """A tag no template may hold at all, refused before anything runs."""

    def __init__(self, reason: str, lineno: int, word: str) -> None:
        super().__init__(reason, lineno)
        self.reason = reason
        self.word = word  # the tag's keyword


class TagFailed(TemplateRuntimeError):
    """A tag that raised an error of Python's own while it ran, such as a division by zero."""

    def __init__(self, cause: BaseException) -> None:
        text = " ".join(str(cause).split())[:160]
        super().__init__(f"{type(cause).__name__}: {text}" if text else type(cause).__name__)


@dataclass
class _Budget:
    """The work done so far by one document's tags."""

    work: int = 0
    output: int = 0
    seconds: float = 0.0  # spent in finished renders of the document's parts
    started: float = 0.0  # when the part under way began


_BUDGET: ContextVar[_Budget | None] = ContextVar("boardpack_template_budget", default=None)


@contextlib.contextmanager
def bounded() -> Iterator[None]:
    """One budget of work for every part rendered inside: a document's body, headers, footers."""
    token = _BUDGET.set(_Budget())
    try:
        yield
    finally:
        _BUDGET.reset(token)


def _spend(work: int, output: int = 0) -> None:
    budget = _BUDGET.get()
    if budget is None:  # compiling: constant tags are folded, their sizes checked beforehand
        return
    budget.work += work
    budget.output += output
    if budget.work > MAX_WORK:
        raise Refused(
            f"it does more work than any paper needs (over {MAX_WORK:,} loop turns, calls and"
            " operations), so it was stopped"
        )
    if budget.output > MAX_OUTPUT:
        raise Refused(
            f"it writes more than {MAX_OUTPUT:,} characters, far more than any paper, so it was"
            " stopped"
        )
    if budget.seconds + time.monotonic() - budget.started > MAX_SECONDS:
        raise Refused(
            f"it ran for more than {MAX_SECONDS:g} seconds, far longer than any paper needs, so it"
            " was stopped"
        )


def _at_most(size: int, limit: int, what: str, unit: str) -> None:
    if size > limit:
        raise Refused(
            f"it would make {what} of {size:,} {unit}, far beyond any paper (the limit is"
            f" {limit:,})"
        )


def _check_size(value: Any) -> Any:
    if isinstance(value, (str, list, tuple, dict)):
        _at_most(len(value), MAX_VALUE, "a value", "characters or items")
    elif isinstance(value, int) and not isinstance(value, bool):
        _at_most(value.bit_length(), MAX_INT_BITS, "a number", "bits")
    return value


def _check_percent_format(template: Any) -> None:
    """Refuse a printf-style format whose widths would make a huge string."""
    if not isinstance(template, str):
        return
    for width, precision in _PERCENT_WIDTH.findall(template):
        for number in (width, precision):
            if number == "*":
                raise Refused("a format may not take its width from a value", word="%")
            if number:
                _at_most(int(number), MAX_VALUE, "a formatted field", "characters")


def bounded_range(*args: Any) -> range:
    """`range`, for at most MAX_RANGE numbers."""
    numbers = range(*args)
    try:
        count = len(numbers)
    except OverflowError:  # more numbers than a machine word counts
        count = MAX_RANGE + 1
    if count > MAX_RANGE:
        raise Refused(
            f"it asks for a range of more than {MAX_RANGE:,} numbers, far beyond any paper",
            word="range",
        )
    return numbers


def _filter_precheck(name: str, value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Refuse the arguments with which a filter would make a huge value, before it makes it."""

    def argument(position: int, keyword: str, default: Any) -> Any:
        return args[position] if len(args) > position else kwargs.get(keyword, default)

    text = soft_str(value) if name in ("center", "indent", "wordwrap", "replace") else ""
    if name == "center":
        width = argument(0, "width", 80)
        if isinstance(width, int):
            _at_most(width, MAX_VALUE, "a centred text", "characters")
    elif name == "indent":
        width = argument(0, "width", 4)
        step = width if isinstance(width, int) else len(soft_str(width))
        _at_most(
            len(text) + (text.count("\n") + 1) * step, MAX_VALUE, "an indented text", "characters"
        )
    elif name == "wordwrap":
        wrap = argument(2, "wrapstring", None)
        step = 1 + (len(soft_str(wrap)) if wrap is not None else 1)
        _at_most(len(text) * step, MAX_VALUE, "a wrapped text", "characters")
    elif name == "replace":
        old = soft_str(argument(0, "old", ""))
        new = soft_str(argument(1, "new", ""))
        times = len(text) + 1 if not old else text.count(old)
        _at_most(len(text) + times * max(len(new) - len(old), 0), MAX_VALUE, "a text", "characters")
    elif name == "format":
        _check_percent_format(value)
    elif name in ("batch", "slice"):
        count = argument(0, "linecount" if name == "batch" else "slices", 1)
        if isinstance(count, int):
            _at_most(count, MAX_VALUE, f"a {name}", "parts")


def _bounded_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """A filter that counts as work and refuses to make a huge value."""
    passes_first = jinja2.utils._PassArg.from_obj(function) is not None

    @functools.wraps(function)  # keeps Jinja's marker of what the filter is passed first
    def bounded_filter(*args: Any, **kwargs: Any) -> Any:
        _spend(1)
        given = args[1:] if passes_first else args
        if given:
            _filter_precheck(name, given[0], tuple(given[1:]), kwargs)
        return _check_size(function(*args, **kwargs))

    return bounded_filter


def _literal_size(children: Iterable[nodes.Node]) -> int:
    """Characters of template text a loop's body writes each turn, less those of nested loops
    and macros, which count their own."""
    total = 0
    for child in children:
        if isinstance(child, nodes.TemplateData):
            total += len(child.data)
        elif isinstance(child, nodes.For):
            total += _literal_size(child.else_)
        elif not isinstance(child, (nodes.Macro, nodes.CallBlock)):
            total += _literal_size(child.iter_child_nodes())
    return total


class _Bounding(NodeTransformer):
    """Refuses the tags no template may hold, and routes loops and `~` through the budget."""

    def __init__(self, environment: jinja2.Environment) -> None:
        self.environment = environment

    def _refuse(self, node: nodes.Node, reason: str, word: str) -> None:
        raise RefusedTag(reason, node.lineno, word)

    def visit_Include(self, node: nodes.Include) -> None:
        self._refuse(node, "a template may not include another file", "include")

    def visit_Import(self, node: nodes.Import) -> None:
        self._refuse(node, "a template may not import another file", "import")

    def visit_FromImport(self, node: nodes.FromImport) -> None:
        self._refuse(node, "a template may not import from another file", "import")

    def visit_Extends(self, node: nodes.Extends) -> None:
        self._refuse(node, "a template may not extend another file", "extends")

    def visit_ScopedEvalContextModifier(self, node: nodes.Node) -> None:
        self._refuse(node, "a template may not turn escaping off", "autoescape")

    def visit_EvalContextModifier(self, node: nodes.Node) -> None:
        self._refuse(node, "a template may not turn escaping off", "autoescape")

    def visit_Getattr(self, node: nodes.Getattr) -> nodes.Node:
        # Refused here as well as when run, so that check-template finds one in a branch its
        # sample paper does not take.
        self.generic_visit(node)  # the innermost name first, as it would be read
        if node.attr.startswith("_"):
            self._refuse(node, _internal(node.attr), node.attr)
        return node

    def visit_Getitem(self, node: nodes.Getitem) -> nodes.Node:
        self.generic_visit(node)
        key = node.arg.value if isinstance(node.arg, nodes.Const) else None
        if isinstance(key, str) and key.startswith("_"):
            self._refuse(node, _internal(key), key)
        return node

    def _call(self, method: str, args: list[nodes.Expr], lineno: int) -> nodes.Call:
        call = nodes.Call(nodes.EnvironmentAttribute(method), args, [], None, None)
        return call.set_lineno(lineno).set_environment(self.environment)  # type: ignore[return-value]

    def visit_For(self, node: nodes.For) -> nodes.Node:
        if node.recursive:
            self._refuse(node, "a template may not use recursive loops", "recursive")
        self.generic_visit(node)
        literal = nodes.Const(_literal_size(node.body))
        items = typing.cast(nodes.Expr, node.iter)
        node.iter = self._call("loop_items", [items, literal], node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return self._call("join_checked", list(node.nodes), node.lineno)


class _BoundedCodeGenerator(CodeGenerator):
    """Jinja's code generator, run on the template once _Bounding has rewritten it."""

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        _Bounding(self.environment).visit(node)
        super().visit_Template(node, frame)


class BoundedTemplate(jinja2.Template):
    """A compiled template whose render is bounded and whose errors carry the tag's line."""

    source = ""  # the text it was compiled from, set by the environment

    def render(self, *args: Any, **kwargs: Any) -> str:
        budget = _BUDGET.get()
        token = None
        if budget is None:
            budget = _Budget()
            token = _BUDGET.set(budget)
        budget.started = time.monotonic()
        try:
            context = self.new_context(dict(*args, **kwargs))
            return "".join(self.root_render_func(context))
        except TemplateSyntaxError:
            raise
        except jinja2.TemplateError as exc:
            exc.lineno = self._line_of(exc)  # type: ignore[attr-defined]
            raise
        except Exception as exc:  # a tag can provoke any of Python's errors (1/0, recursion)
            failed = TagFailed(exc)
            failed.lineno = self._line_of(exc)  # type: ignore[attr-defined]
            raise failed from exc
        finally:
            budget.seconds += time.monotonic() - budget.started
            if token is not None:
                _BUDGET.reset(token)

    def _line_of(self, exc: BaseException) -> int | None:
        """The template line of the innermost tag running when `exc` was raised."""
        line = None
        trace = exc.__traceback__
        while trace is not None:
            if trace.tb_frame.f_globals.get("__jinja_template__") is self:
                line = self.get_corresponding_lineno(trace.tb_lineno)
            trace = trace.tb_next
        return line


class SandboxEnvironment(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with boardpack's allowances and bounds (see the module)."""

    code_generator_class = _BoundedCodeGenerator
    template_class = BoundedTemplate
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, **options: Any) -> None:
        finalize = options.pop("finalize", None)
        super().__init__(**options)
        # No lipsum, cycler, joiner, namespace or dict: nothing a paper needs, and each a door
        # into Python (lipsum.__globals__) or a way round the bounds.
        self.globals.clear()
        self.globals["range"] = bounded_range
        self.filters = {
            name: _bounded_filter(name, function)
            for name, function in self.filters.items()
            if name in _FILTERS
        }
        self.finalize = self._printed(finalize)

    def _printed(self, finalize: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
        def printed(value: Any) -> Any:
            _check_printable(value)
            result = finalize(value) if finalize is not None else value
            _spend(0, len(result) if isinstance(result, str) else 0)
            return result

        return printed

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        return isinstance(obj, _DATA) and super().is_safe_attribute(obj, attr, value)

    def unsafe_undefined(self, obj: Any, attribute: str) -> jinja2.Undefined:
        if attribute.startswith("_"):
            reason = _internal(attribute)
        else:
            reason = f"it reads {attribute!r} of a value boardpack gives templates only to print"
        raise Refused(reason, word=attribute)

    def is_safe_callable(self, obj: Any) -> bool:
        if obj is bounded_range or isinstance(obj, Macro):
            return True
        owner = getattr(obj, "__self__", None)
        name = getattr(obj, "__name__", "")
        if owner is self:
            return name in ("loop_items", "join_checked")
        if not isinstance(obj, (types.BuiltinMethodType, types.MethodType)):
            return False
        return any(isinstance(owner, kind) and name in names for kind, names in _METHODS)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(__obj, jinja2.Undefined):
            return __obj(*args, **kwargs)  # raises: "'lipsum' is undefined"
        _spend(1)
        if not __self.is_safe_callable(__obj):
            name = getattr(__obj, "__name__", type(__obj).__name__)
            raise Refused(f"it calls {name}, which templates may not call", word=name)
        result = __context.call(__obj, *args, **kwargs)
        if isinstance(__obj, Macro) and isinstance(result, str):
            _spend(0, len(result))
        return _check_size(result)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _spend(1)
        sequences = (str, list, tuple)
        if operator == "*":
            for items, times in ((left, right), (right, left)):
                if isinstance(items, sequences) and isinstance(times, int):
                    _at_most(len(items) * times, MAX_VALUE, "a value", "characters or items")
            if isinstance(left, int) and isinstance(right, int):
                bits = left.bit_length() + right.bit_length()
                _at_most(bits, MAX_INT_BITS, "a number", "bits")
        elif operator == "**":
            if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
                _at_most(right * abs(left).bit_length(), MAX_INT_BITS, "a number", "bits")
        elif operator == "+":
            if isinstance(left, sequences) and isinstance(right, sequences):
                _at_most(len(left) + len(right), MAX_VALUE, "a value", "characters or items")
        elif operator == "%":
            _check_percent_format(left)
        return _check_size(self.binop_table[operator](left, right))

    def loop_items(self, items: Any, literal: int) -> Iterator[Any]:
        """The items a loop turns over, each turn counted with the text its body writes."""
        for item in items:
            _spend(1, literal)
            yield item

    def join_checked(self, *parts: Any) -> str:
        """`a ~ b`, refused when the result would be huge."""
        texts = [soft_str(part) for part in parts]
        _at_most(sum(map(len, texts)), MAX_VALUE, "a text", "characters")
        return markup_join(texts)

    def from_string(self, source: Any, globals: Any = None, template_class: Any = None) -> Any:
        template = super().from_string(source, globals, template_class)
        if isinstance(template, BoundedTemplate) and isinstance(source, str):
            template.source = source
        return template


def _internal(name: str) -> str:
    return (
        f"it reads {name!r}, a name starting with an underscore, which reaches into Python's"
        " internals"
    )


def _check_printable(value: Any, depth: int = 0) -> None:
    """Refuse to print anything but boardpack's own values: never a function or a class."""
    if isinstance(value, (*_PRINTABLE, Markup)) or hasattr(value, "__html__"):
        return
    if isinstance(value, (list, tuple)) and depth < 4:
        for item in value:
            _check_printable(item, depth + 1)
        return
    if isinstance(value, dict) and depth < 4:
        for key, item in value.items():
            _check_printable(key, depth + 1)
            _check_printable(item, depth + 1)
        return
    if isinstance(value, jinja2.Undefined):
        return  # StrictUndefined raises its own error, naming the value, when printed
    name = getattr(value, "__name__", type(value).__name__)
    raise Refused(f"it prints {name}, which is not one of boardpack's values", word=name)
