"""Nodes of the sample package graph, imported relatively by ``agent``."""


def shout(state: dict) -> dict:
    return {"text": state["text"].upper()}
