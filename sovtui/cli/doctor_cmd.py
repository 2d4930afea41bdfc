"""``sovtui doctor``: how sovereign is this setup, what to do next, where data goes."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from sovtui.cli.common import add_json_option, run
from sovtui.cli.output import print_json
from sovtui.context import Context
from sovtui.text import safe_line

if TYPE_CHECKING:
    from sovtui.agent.serve_status import ServeStatus

_MARK = {"ok": "✓", "todo": "→", "risk": "!"}


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "doctor",
        help="your sovereignty level, the next steps, and every address sovtui may contact",
        description="Assess this setup from real state (config, files, the configured hosts) and say what to do next.",
    )
    add_json_option(p)
    p.set_defaults(handler=cmd_doctor)


def cmd_doctor(args: argparse.Namespace, ctx: Context) -> int:
    from sovtui.endpoints import DOWNLOADS, configured_endpoints
    from sovtui.sovereignty import assess, gather_state

    from sovtui.agent.serve_status import served_agents

    assessment = assess(run(gather_state(ctx)))
    endpoints = configured_endpoints(ctx.config)
    services = served_agents(ctx.paths.state_dir)  # sovtui agent serve's status files
    if args.json:
        print_json({**assessment.to_dict(), "endpoints": [e.to_dict() for e in endpoints],
                    "agent_services": [s.to_dict() for s in services]})
        return 0
    print(f"sovereignty level {assessment.level} of 4: {assessment.level_name}")
    print()
    if assessment.findings:
        for finding in assessment.findings:
            print(f" {_MARK.get(finding.severity, '-')} {finding.title}")  # names in it made safe by sovereignty.py
            print(f"   next: {finding.next_step}")
    else:
        print(" ✓ nothing to do")
    for service in services:
        mark = "✓" if service.running else "-"
        print(f" {mark} agent {safe_line(service.name)}: {_served(service)}")
    print()
    print("sovtui may contact only these addresses:")
    for endpoint in endpoints:
        flag = ""
        if endpoint.locality.is_public:
            if endpoint.purpose == DOWNLOADS:
                flag = "  ! public internet: it sees which model you download (never a prompt)"
            elif endpoint.purpose.startswith("model"):
                flag = "  ! public internet: prompts leave your network"
            elif endpoint.purpose.startswith("agent"):
                flag = "  ! public internet: it sees when your agent gets and sends messages, and their sizes (not what)"
            else:
                flag = "  ! public internet: it sees when your wallet is used (not what)"
        print(f" {safe_line(endpoint.name):<14} {safe_line(endpoint.url):<36} {endpoint.locality.label} ({safe_line(endpoint.purpose)}){flag}")
    return 0


def _served(service: ServeStatus) -> str:
    if service.running:
        return "served over Nostr " + service.describe().removeprefix("served ")
    return f"{service.describe()}: start it with 'sovtui agent serve {safe_line(service.name)}' or its systemd unit"
