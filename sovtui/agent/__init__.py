"""Agents that act: a local model pays, invoices and signs with its own key, inside the credential its owner signed.

Plain asyncio, no front end. What a front end (``sovtui agent``, the TUI, an
MCP server) calls:

- ``agents.list_agents(ctx)`` -> ``AgentStatus`` rows (owner, wallet, limit,
  spent and left this period, state); ``agents.load_agent(ctx, name)``;
- ``runner.AgentRunner(ctx, name, approve=..., approve_under=..., model=...)``
  and ``async for event in runner.exchange(conversation, prompt)``: one
  exchange, tool calls included, as ``AgentEvent``s;
- ``tools.TOOLS`` (the schemas, Alby's MCP names) and
  ``tools.Toolbox(ctx, name, approve=...).call(tool, arguments)`` ->
  ``ToolResult``: one call, limits and audit included (an MCP server needs
  only this);
- ``guard.ApprovalRequest`` is what ``approve`` is handed (``summary()``
  rows, ``question()``); it returns True to pay;
- ``audit.AuditLog.for_agent(state_dir, name).read()`` -> entries and damaged lines.

docs/agents.md tells the whole story.
"""
