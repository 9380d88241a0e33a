"""The local Capsule stand-in: SandboxServer, its seeded data and its fault plan."""

from capsule_tui.capsule.sandbox.data import SandboxData
from capsule_tui.capsule.sandbox.faults import Fault, FaultPlan
from capsule_tui.capsule.sandbox.server import SandboxServer, serve_forever

__all__ = ["Fault", "FaultPlan", "SandboxData", "SandboxServer", "serve_forever"]
