"""The demo agent's tools: a safe calculator and a search over a small built-in corpus.

Both are plain LangChain ``@tool`` functions, fully offline; the agent's scripted model
(:func:`desktop.core.demo.agent.agent_reply`) picks them with :func:`find_expression`
and :func:`keywords`, and the researcher subgraph reads :data:`NOTES` through
:func:`matching_notes`.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable
from typing import Any

from langchain_core.tools import tool

NOTES: dict[str, str] = {
    "pricing-research": (
        "Q3 pricing interviews: teams of 5 to 20 seats called the Pro plan at $49 per seat "
        "fair; most asked for annual billing with a 15% discount."
    ),
    "team-plan": (
        "The Team plan costs $29 per seat for up to 10 seats and has no SSO; teams upgrade "
        "to Pro when they need SSO or audit logs."
    ),
    "onboarding-feedback": (
        "Onboarding feedback: new users finish setup in 6 minutes on average; the slowest "
        "step is connecting a data source."
    ),
    "latency-report": (
        "Latency report: p50 response time is 420 ms and p95 is 1.8 s; the slow path is "
        "cold-starting the vector index."
    ),
    "roadmap": (
        "Roadmap: offline mode ships next quarter; the mobile app is paused until the "
        "desktop app is stable."
    ),
}
"""The small built-in corpus that ``search_notes`` and the researcher read."""

_STOPWORD_TEXT = (
    "a an and are about also can could did does for from has have how into is it its "
    "let me much our say says should that the their them then there this those to was "
    "what when where which who why will with would you your please tell"
)
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_WORD = re.compile(r"[a-z][a-z0-9-]+")
_EXPRESSION = re.compile(r"[\d.()\s]*\d[\d.()\s]*(?:[-+*/%^][\d.()\s]*\d[\d.()\s]*)+")
_BINARY_OPERATORS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_MAX_EXPONENT = 64


def evaluate_expression(expression: str) -> float | int:
    """Evaluate plain arithmetic safely (numbers, + - * / // % **, parentheses; no names)."""

    def walk(node: ast.AST) -> float | int:
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            value = walk(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY_OPERATORS:
            left, right = walk(node.left), walk(node.right)
            if isinstance(node.op, ast.Pow) and abs(right) > _MAX_EXPONENT:
                raise ValueError(f"exponent {right} is too large for the demo calculator")
            return _BINARY_OPERATORS[type(node.op)](left, right)
        raise ValueError("only numbers and + - * / // % ** ( ) are allowed")

    try:
        tree = ast.parse(expression.replace("^", "**"), mode="eval")
    except SyntaxError:
        raise ValueError(f"{expression!r} is not an arithmetic expression") from None
    return walk(tree.body)


def _format_number(value: float | int) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def find_expression(text: str) -> str | None:
    """The first arithmetic expression in free text that the calculator can evaluate."""
    for match in _EXPRESSION.finditer(text):
        candidate = match.group().strip().rstrip(".")
        try:
            evaluate_expression(candidate)
        except (ValueError, ArithmeticError):
            continue
        return candidate
    return None


def keywords(text: str) -> list[str]:
    """Content words of a question, in order, without duplicates or stopwords."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(text.lower()):
        if word not in _STOPWORDS and len(word) > 2:
            seen.setdefault(word, None)
    return list(seen)


def matching_notes(query: str, limit: int = 2) -> list[str]:
    """Titles of the built-in notes that share the most words with ``query``."""
    words = keywords(query)
    scored = []
    for title, text in NOTES.items():
        haystack = f"{title} {text}".lower()
        score = sum(1 for word in words if word in haystack)
        if score:
            scored.append((-score, title))
    return [title for _, title in sorted(scored)[:limit]]


@tool
def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression such as "12 * (49 - 4)"."""
    try:
        return _format_number(evaluate_expression(expression))
    except (ValueError, ArithmeticError) as error:
        return f"error: {error}"


@tool
def search_notes(query: str) -> str:
    """Search the team's built-in notes (pricing, onboarding, latency, roadmap)."""
    titles = matching_notes(query)
    if not titles:
        return f"No notes matched {query!r}."
    return "\n".join(f"{title}: {NOTES[title]}" for title in titles)


DEMO_TOOLS = (calculator, search_notes)
