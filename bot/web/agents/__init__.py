"""Agents: the Model Context Protocol server (/mcp and ``warroom mcp``), its tools and the
bridge that serves the SDK's ASGI app from aiohttp.

- ``tools``: what each tool answers, through the API's and the web view's readers.
- ``server``: the SDK's server with every tool, each call logged and rate-limited.
- ``asgi``: an ASGI app answering one aiohttp request.
- ``endpoint``: ``/mcp``: the bearer token, then the SDK's session manager through the bridge.
- ``answers``: what each tool answers, as types: the SDK's output schemas come from them.
- ``usage``: each token's calls, counted in memory and written in batches.
- ``pages``: ``/agents``: the tokens and their use, for the workspace's members.
- ``handshake``: ``warroom mcp``'s answer to ``initialize``, given before the SDK and the tools
  are imported (standard library only).
- ``stdio``: the SDK's stdio transport, the frames the handshake read replayed ahead of the
  rest and the SDK's own answer to that ``initialize`` dropped.

May import: what ``bot.web`` may, the web view's own modules (``bot/web/*.py``) and every other
domain: it is the last in ``DOMAINS`` (tests/test_layers.py).
"""
