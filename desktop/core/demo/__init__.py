"""The built-in offline demo: a scripted streaming chat model and a small LangGraph agent."""
